"""The pure rules of recurring billing, one by one: grouping keys and their defaults, due dates,
billing-day arithmetic, periods, consolidation inclusion and exclusion, and the M-vs-N rule."""

from __future__ import annotations

from datetime import date

import pytest

from billing.billing_days import (
    billing_date,
    billing_days_falling_on,
    consolidation_target,
    due_days,
    next_billing_date,
)
from billing.consolidation import (
    ConsolidationRules,
    charge_kind,
    consolidates_now,
    included_kinds,
    is_included,
    renewal_due_now,
    validate_days_before,
)
from billing.errors import InvalidRequest
from billing.invoice_grouping import (
    AccountDefaults,
    GroupingKey,
    LineFields,
    grouping_key,
    stored_key,
    with_defaults,
)
from billing.payment_terms import due_date
from billing.periods import Period
from billing.vocabulary import (
    ChargeKind,
    InvoiceGrouping,
    OfferCategory,
    OrderType,
    PaymentTerm,
)

TOM = AccountDefaults(bill_to_contact="Tom Lee", payment_term=PaymentTerm.due_upon_receipt)


def line(**fields: object) -> LineFields:
    return LineFields(receiver_id="A001", vendor_id="msft", currency="EUR", **fields)  # type: ignore[arg-type]


# --- grouping keys -------------------------------------------------------------------------


def test_empty_bill_to_and_payment_term_default_from_the_account() -> None:
    assert with_defaults(line(), TOM) == line(
        bill_to_contact="Tom Lee", payment_term=PaymentTerm.due_upon_receipt
    )


def test_set_fields_win_over_the_account() -> None:
    mine = line(bill_to_contact="Ray Lockman", payment_term=PaymentTerm.net_60)
    assert with_defaults(mine, TOM) == mine


def test_empty_group_number_is_no_group_not_a_group_named_empty() -> None:
    assert grouping_key(line(invoice_group_number=""), TOM, InvoiceGrouping.receiver) == (
        grouping_key(line(), TOM, InvoiceGrouping.receiver)
    )


def test_receiver_grouping_key_has_all_five_fields() -> None:
    key = grouping_key(
        line(
            invoice_group_number="PO #1",
            bill_to_contact="Ray Lockman",
            payment_term=PaymentTerm.net_60,
        ),
        TOM,
        InvoiceGrouping.receiver,
    )
    assert key == GroupingKey(
        currency="EUR",
        receiver_id="A001",
        invoice_group_number="PO #1",
        bill_to_contact="Ray Lockman",
        payment_term=PaymentTerm.net_60,
    )


@pytest.mark.parametrize(
    "other",
    [
        {"invoice_group_number": "PO #2"},
        {"bill_to_contact": "Steve America"},
        {"payment_term": PaymentTerm.net_30},
    ],
)
def test_any_differing_field_splits_the_invoice(other: dict) -> None:
    base = {
        "invoice_group_number": "PO #1",
        "bill_to_contact": "Ray",
        "payment_term": PaymentTerm.net_60,
    }
    assert grouping_key(line(**base), TOM, InvoiceGrouping.receiver) != grouping_key(
        line(**{**base, **other}), TOM, InvoiceGrouping.receiver
    )


def test_currency_and_receiver_split_the_invoice() -> None:
    eur = grouping_key(line(), TOM, InvoiceGrouping.receiver)
    usd = LineFields(receiver_id="A001", vendor_id="msft", currency="USD")
    other = LineFields(receiver_id="A002", vendor_id="msft", currency="EUR")
    assert eur != grouping_key(usd, TOM, InvoiceGrouping.receiver)
    assert eur != grouping_key(other, TOM, InvoiceGrouping.receiver)


def test_vendor_grouping_ignores_receiver_and_grouping_fields() -> None:
    a = line(invoice_group_number="PO #1", bill_to_contact="Ray")
    b = LineFields(
        receiver_id="B", vendor_id="msft", currency="EUR", payment_term=PaymentTerm.net_90
    )
    assert grouping_key(a, TOM, InvoiceGrouping.vendor) == grouping_key(
        b, TOM, InvoiceGrouping.vendor
    )
    assert grouping_key(a, TOM, InvoiceGrouping.vendor) == GroupingKey(
        currency="EUR", vendor_id="msft"
    )


def test_stored_keys_are_unambiguous_when_fields_hold_the_separator() -> None:
    one = GroupingKey(currency="EUR", receiver_id="A|", invoice_group_number="B")
    two = GroupingKey(currency="EUR", receiver_id="A", invoice_group_number="|B")
    assert stored_key(one) != stored_key(two)
    assert stored_key(GroupingKey(currency="EUR", vendor_id="msft")) == "|msft||||EUR"


# --- due dates and periods -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "due"),
    [
        (PaymentTerm.due_upon_receipt, date(2026, 11, 30)),
        (PaymentTerm.net_15, date(2026, 12, 15)),
        (PaymentTerm.net_30, date(2026, 12, 30)),
        (PaymentTerm.net_45, date(2027, 1, 14)),
        (PaymentTerm.net_60, date(2027, 1, 29)),
        (PaymentTerm.net_90, date(2027, 2, 28)),
    ],
)
def test_due_date_follows_the_payment_term(term: PaymentTerm, due: date) -> None:
    assert due_date(date(2026, 11, 30), term) == due


def test_periods() -> None:
    period = Period.parse("2028-02")
    assert str(period) == "2028-02"
    assert period.last_day == date(2028, 2, 29)
    assert period.ends_at.date() == date(2028, 3, 1)
    assert Period.before(date(2027, 1, 1)) == Period(2026, 12)
    with pytest.raises(InvalidRequest, match="YYYY-MM"):
        Period.parse("2026-13")


# --- billing days ----------------------------------------------------------------------------


def test_billing_day_31_falls_on_the_last_day_of_february() -> None:
    assert billing_date(2027, 2, 31) == date(2027, 2, 28)
    assert billing_date(2028, 2, 31) == date(2028, 2, 29)
    assert billing_date(2027, 4, 31) == date(2027, 4, 30)
    assert billing_date(2027, 3, 31) == date(2027, 3, 31)


def test_on_a_months_last_day_every_larger_billing_day_is_due() -> None:
    assert billing_days_falling_on(date(2027, 2, 28)) == [28, 29, 30, 31]
    assert billing_days_falling_on(date(2028, 2, 28)) == [28]
    assert billing_days_falling_on(date(2027, 4, 30)) == [30, 31]
    assert billing_days_falling_on(date(2027, 3, 15)) == [15]


def test_next_billing_date_is_strictly_later_and_clamped() -> None:
    assert next_billing_date(date(2027, 1, 31), 31) == date(2027, 2, 28)
    assert next_billing_date(date(2027, 2, 28), 31) == date(2027, 3, 31)
    assert next_billing_date(date(2027, 1, 10), 15) == date(2027, 1, 15)
    assert next_billing_date(date(2027, 12, 15), 15) == date(2028, 1, 15)


def test_consolidation_runs_m_days_before_the_billing_day() -> None:
    assert consolidation_target(date(2027, 2, 23), 5) == date(2027, 2, 28)
    # A run on 23 February with M = 5 serves billing days 28 to 31.
    due = {(d.days_before, d.billing_day) for d in due_days(date(2027, 2, 23))}
    assert {(5, 28), (5, 29), (5, 30), (5, 31)} <= due
    assert (5, 27) not in due and (4, 27) in due


# --- consolidation inclusion and exclusion ---------------------------------------------------


def kind(order_type: OrderType, *, resold: bool = False, aligns: bool = False,
         category: OfferCategory = OfferCategory.standard) -> ChargeKind:  # fmt: skip
    return charge_kind(
        order_type=order_type, resold=resold, aligns_end_date=aligns, category=category
    )


OFF, ON = ConsolidationRules(), ConsolidationRules(True, True)


def test_renewal_orders_are_included() -> None:
    assert is_included(kind(OrderType.renewal), OFF, paid_manually=False)


def test_resold_services_are_included_even_from_sales_and_upgrades() -> None:
    assert is_included(kind(OrderType.sales, resold=True), OFF, paid_manually=False)
    assert is_included(kind(OrderType.upgrade, resold=True), OFF, paid_manually=False)


def test_initial_sales_and_upgrades_are_excluded() -> None:
    assert not is_included(kind(OrderType.sales), ON, paid_manually=False)
    assert not is_included(kind(OrderType.upgrade), ON, paid_manually=False)


def test_overusage_only_with_its_setting() -> None:
    assert not is_included(kind(OrderType.overusage), OFF, paid_manually=False)
    assert is_included(
        kind(OrderType.overusage), ConsolidationRules(include_overusage=True), paid_manually=False
    )


@pytest.mark.parametrize("category", [OfferCategory.domain, OfferCategory.ssl])
def test_domain_and_ssl_renewals_only_with_their_setting(category: OfferCategory) -> None:
    renewal = kind(OrderType.renewal, category=category)
    assert renewal is ChargeKind.domain_ssl_renewal
    assert not is_included(renewal, OFF, paid_manually=False)
    assert is_included(
        renewal, ConsolidationRules(include_domain_ssl_renewals=True), paid_manually=False
    )


def test_renewals_aligning_end_dates_are_excluded() -> None:
    assert kind(OrderType.renewal, aligns=True) is ChargeKind.alignment_renewal
    assert not is_included(ChargeKind.alignment_renewal, ON, paid_manually=False)


def test_orders_paid_manually_before_the_billing_day_are_excluded() -> None:
    assert not is_included(kind(OrderType.renewal), ON, paid_manually=True)


def test_lines_of_no_known_kind_are_excluded() -> None:
    assert not is_included(None, ON, paid_manually=False)
    assert included_kinds(OFF) == {ChargeKind.renewal, ChargeKind.resold}


def test_a_renewal_waits_while_its_end_date_outlives_the_next_billing_day() -> None:
    assert renewal_due_now(date(2027, 3, 20), date(2027, 4, 1))
    assert not renewal_due_now(date(2027, 4, 20), date(2027, 4, 1))


def test_only_a_renewal_its_subscription_still_waits_for_can_be_too_early() -> None:
    april = date(2027, 4, 1)
    early = date(2027, 4, 20)
    renewal = kind(OrderType.renewal)
    assert not consolidates_now(
        renewal, OFF, paid_manually=False, subscription_ends=early, next_billing_date=april
    )
    assert consolidates_now(
        renewal, OFF, paid_manually=False, subscription_ends=None, next_billing_date=april
    )
    assert consolidates_now(
        ChargeKind.resold, OFF, paid_manually=False, subscription_ends=early,
        next_billing_date=april,
    )  # fmt: skip
    assert not consolidates_now(
        renewal, OFF, paid_manually=True, subscription_ends=None, next_billing_date=april
    )


# --- M versus N and the overdue period ---------------------------------------------------------


def test_m_within_both_periods_is_accepted() -> None:
    validate_days_before(5, renewal_order_days=10, overdue_days=7, who="A")


@pytest.mark.parametrize(
    ("m", "n", "overdue", "named"),
    [
        (10, 10, 30, "renewal-order period of A (10 days)"),
        (12, 30, 7, "overdue period of A (7 days)"),
        (31, 30, 30, "renewal-order period of A (30 days) or the overdue period"),
    ],
)
def test_m_outside_the_renewal_or_overdue_period_is_refused_with_the_rule_explained(
    m: int, n: int, overdue: int, named: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        validate_days_before(m, renewal_order_days=n, overdue_days=overdue, who="A")
    assert named in refused.value.detail
    assert "Renewal orders are generated N days before" in refused.value.detail
