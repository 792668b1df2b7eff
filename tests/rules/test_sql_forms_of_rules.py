"""The set-based SQL of the runs against the Python rules it implements: each test generates
facts, asks PostgreSQL for the SQL form's answer and the Python rule for its own, and asserts
they agree. The Python rule is the specification; the SQL is there for speed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text

from billing.consolidation import (
    ConsolidationRules,
    charge_kind,
    consolidates_now,
)
from billing.invoice_grouping import (
    AccountDefaults,
    GroupingKey,
    LineFields,
    grouping_key,
    stored_key,
    with_defaults,
)
from billing.invoice_numbers import INVOICE_SERIES, invoice_number
from billing.money import _MINOR_UNITS_OTHER_THAN_TWO, line_amount
from billing.payment_terms import due_date
from billing.store.consolidation import CONSOLIDATES_NOW_SQL, consolidates_now_params
from billing.store.month_end import RECEIVER_DUE_DATE, run_key_sql
from billing.store.renewals import renewal_charge_kind_sql
from billing.store.run_invoicing import (
    grouping_key_sql,
    minor_units_sql,
    number_sql,
    payment_term_days_sql,
)
from billing.vocabulary import ChargeKind, InvoiceGrouping, OfferCategory, OrderType, PaymentTerm

EXAMPLES = settings(max_examples=150, deadline=None)


@pytest.fixture(scope="module")
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        # Dates compare with timestamps at midnight UTC, as the engine's timestamps are kept.
        connection.execute(text("set time zone 'UTC'"))
        yield connection


def ask(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(f"select {sql}"), params).scalar_one()


# Key fields may hold the key's own separator and escape character; PostgreSQL text holds
# no NUL and psycopg sends no lone surrogates.
field_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("|\\ab "),
        st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    ),
    min_size=1,
    max_size=8,
)
maybe_text = st.none() | field_text
currencies = st.sampled_from(["EUR", "USD", "GBP", *_MINOR_UNITS_OTHER_THAN_TWO])
terms = st.sampled_from(list(PaymentTerm))
kinds = st.none() | st.sampled_from(list(ChargeKind))
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))

# billing_lines `l` and the receiver's account `p`, as the month-end run joins them.
_LINE_AND_ACCOUNT = """
    (select cast(:receiver_id as text) as receiver_id, cast(:vendor_id as text) as vendor_id,
            cast(:invoice_group_number as text) as invoice_group_number,
            cast(:bill_to_contact as text) as bill_to_contact,
            cast(:payment_term as text) as payment_term, cast(:currency as text) as currency) l,
    (select cast(:account_bill_to as text) as bill_to_contact,
            cast(:account_term as text) as payment_term) p
"""


@EXAMPLES
@given(
    grouping=st.sampled_from(list(InvoiceGrouping)),
    receiver_id=field_text,
    vendor_id=field_text,
    currency=currencies,
    invoice_group_number=maybe_text,
    bill_to_contact=maybe_text,
    payment_term=st.none() | terms,
    account_bill_to=maybe_text,
    account_term=terms,
)
def test_the_month_end_runs_stored_key_is_the_grouping_rules(
    conn: Connection,
    grouping: InvoiceGrouping,
    receiver_id: str,
    vendor_id: str,
    currency: str,
    invoice_group_number: str | None,
    bill_to_contact: str | None,
    payment_term: PaymentTerm | None,
    account_bill_to: str | None,
    account_term: PaymentTerm,
) -> None:
    line = LineFields(
        receiver_id=receiver_id,
        vendor_id=vendor_id,
        currency=currency,
        invoice_group_number=invoice_group_number,
        bill_to_contact=bill_to_contact,
        payment_term=payment_term,
    )
    account = AccountDefaults(bill_to_contact=account_bill_to, payment_term=account_term)
    in_sql = conn.execute(
        text(f"select {run_key_sql(grouping)} from {_LINE_AND_ACCOUNT}"),
        {
            "receiver_id": receiver_id,
            "vendor_id": vendor_id,
            "invoice_group_number": invoice_group_number,
            "bill_to_contact": bill_to_contact,
            "payment_term": payment_term.value if payment_term else None,
            "currency": currency,
            "account_bill_to": account_bill_to,
            "account_term": account_term.value,
        },
    ).scalar_one()
    assert in_sql == stored_key(grouping_key(line, account, grouping))


@EXAMPLES
@given(
    last_day=days,
    payment_term=st.none() | terms,
    account_term=terms,
)
def test_the_month_end_runs_due_date_follows_the_lines_or_the_accounts_payment_term(
    conn: Connection, last_day: date, payment_term: PaymentTerm | None, account_term: PaymentTerm
) -> None:
    line = LineFields(receiver_id="r", vendor_id="v", currency="EUR", payment_term=payment_term)
    account = AccountDefaults(bill_to_contact=None, payment_term=account_term)
    in_sql = conn.execute(
        text(f"select {RECEIVER_DUE_DATE} from {_LINE_AND_ACCOUNT}"),
        {
            "last_day": last_day,
            "receiver_id": "r",
            "vendor_id": "v",
            "invoice_group_number": None,
            "bill_to_contact": None,
            "payment_term": payment_term.value if payment_term else None,
            "currency": "EUR",
            "account_bill_to": None,
            "account_term": account_term.value,
        },
    ).scalar_one()
    resolved = with_defaults(line, account).payment_term
    assert resolved is not None
    assert in_sql == due_date(last_day, resolved)


@EXAMPLES
@given(customer_id=field_text, currency=currencies)
def test_the_consolidated_invoices_stored_key_is_one_per_customer_and_currency(
    conn: Connection, customer_id: str, currency: str
) -> None:
    key = grouping_key_sql(receiver_id="cast(:customer as text)", currency="cast(:c as text)")
    expected = stored_key(GroupingKey(currency=currency, receiver_id=customer_id))
    assert ask(conn, key, customer=customer_id, c=currency) == expected


@EXAMPLES
@given(invoice_date=days, term=terms)
def test_the_runs_due_date_is_the_payment_terms(
    conn: Connection, invoice_date: date, term: PaymentTerm
) -> None:
    sql = f"cast(:day as date) + {payment_term_days_sql('cast(:term as text)')}"
    assert ask(conn, sql, day=invoice_date, term=term.value) == due_date(invoice_date, term)


@EXAMPLES
@given(number=st.integers(min_value=1, max_value=10**12))
def test_the_runs_invoice_numbers_read_as_single_invoice_numbers(
    conn: Connection, number: int
) -> None:
    assert ask(conn, number_sql("cast(:n as bigint)"), n=number) == invoice_number(
        INVOICE_SERIES, number
    )


@EXAMPLES
@given(
    quantity=st.integers(min_value=1, max_value=100_000),
    unit_price=st.decimals(
        min_value=Decimal("0"), max_value=Decimal("99999"), places=4, allow_nan=False
    ),
    currency=currencies,
)
def test_renewal_line_amounts_round_as_line_amounts_do(
    conn: Connection, quantity: int, unit_price: Decimal, currency: str
) -> None:
    sql = f"round(cast(:q as numeric) * cast(:p as numeric), {minor_units_sql('cast(:c as text)')})"
    in_sql = ask(conn, sql, q=quantity, p=unit_price, c=currency)
    assert in_sql == line_amount(quantity, unit_price, currency)


@EXAMPLES
@given(category=st.sampled_from(list(OfferCategory)))
def test_generated_renewal_orders_charge_the_kind_a_renewal_order_charges(
    conn: Connection, category: OfferCategory
) -> None:
    expected = charge_kind(
        order_type=OrderType.renewal, resold=False, aligns_end_date=False, category=category
    )
    assert ask(conn, renewal_charge_kind_sql("cast(:cat as text)"), cat=category.value) == expected


# One billing line `l`, its order `o` and subscription `s` (all null when there is none, as
# after the run's left joins) and the due customer `d`.
_CONSOLIDATION_FACTS = """
    (select cast(:kind as text) as charge_kind, cast(:order_number as text) as order_number) l,
    (select cast(:paid_at as timestamptz) as paid_at) o,
    (select cast(:renewal_order_number as text) as renewal_order_number,
            cast(:expires_at as timestamptz) as expires_at) s,
    (select cast(:overusage as boolean) as overusage, cast(:domain_ssl as boolean) as domain_ssl,
            cast(:billing_date as date) as billing_date, cast(:next_date as date) as next_date) d
"""


@st.composite
def near(draw: st.DrawFn, day: date) -> datetime:
    """A moment a few days either side of `day`, often exactly on its midnight."""
    moment = datetime.combine(day + timedelta(days=draw(st.integers(-3, 3))), time(), tzinfo=UTC)
    return moment + draw(st.just(timedelta()) | st.timedeltas(timedelta(), timedelta(days=1)))


@st.composite
def consolidation_facts(draw: st.DrawFn) -> dict[str, Any]:
    billing_date = draw(days)
    next_date = billing_date + timedelta(days=draw(st.integers(1, 62)))
    has_subscription = draw(st.booleans())
    return {
        "kind": draw(kinds),
        "order_number": "O-1",
        "paid_at": draw(st.none() | near(billing_date)),
        "renewal_order_number": draw(st.sampled_from(["O-1", "O-2", None]))
        if has_subscription
        else None,
        "expires_at": draw(near(next_date)) if has_subscription else None,
        "overusage": draw(st.booleans()),
        "domain_ssl": draw(st.booleans()),
        "billing_date": billing_date,
        "next_date": next_date,
    }


@EXAMPLES
@given(facts=consolidation_facts())
def test_consolidation_takes_the_lines_the_consolidation_rule_includes(
    conn: Connection, facts: dict[str, Any]
) -> None:
    in_sql = conn.execute(
        text(f"select coalesce({CONSOLIDATES_NOW_SQL}, false) from {_CONSOLIDATION_FACTS}"),
        {
            **consolidates_now_params(),
            **facts,
            "kind": facts["kind"].value if facts["kind"] else None,
        },
    ).scalar_one()
    paid_at: datetime | None = facts["paid_at"]
    waits_for_this_order = facts["renewal_order_number"] == facts["order_number"]
    rule = consolidates_now(
        facts["kind"],
        ConsolidationRules(
            include_overusage=facts["overusage"], include_domain_ssl_renewals=facts["domain_ssl"]
        ),
        paid_manually=paid_at is not None and paid_at.date() < facts["billing_date"],
        subscription_ends=facts["expires_at"].date() if waits_for_this_order else None,
        next_billing_date=facts["next_date"],
    )
    assert in_sql is rule
