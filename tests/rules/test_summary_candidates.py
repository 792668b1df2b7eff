"""The summary consolidation's SQL takes exactly the lines of the invoices the summary rule
(billing.summary_invoices.classify) adds, on generated invoices, lines and earlier summaries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text

from billing.store.summary_invoices import source_facts, stage_candidates
from billing.summary_invoices import classify
from billing.vocabulary import InvoiceType

# The requesting distributor D with sellers S1 and S2 (S1 has customer C1), and another
# distributor D2 that issues invoices too.
ISSUER = "rules-D"
RECEIVERS = ["rules-S1", "rules-S2", "rules-C1"]
_WORLD = """
insert into vendors (id, name) values ('rules-v', 'Vendor');
insert into offers (id, vendor_id, name, billing_type, unit_price, currency)
  values ('rules-o', 'rules-v', 'Offer', 'one_time', 1, 'EUR');
insert into partners (id, name, level, parent_id, currency) values
  ('rules-D', 'D', 'distributor', null, 'EUR'), ('rules-D2', 'D2', 'distributor', null, 'EUR'),
  ('rules-S1', 'S1', 'seller', 'rules-D', 'EUR'), ('rules-S2', 'S2', 'seller', 'rules-D', 'EUR'),
  ('rules-C1', 'C1', 'customer', 'rules-S1', 'EUR');
"""


@pytest.fixture(scope="module")
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection, connection.begin() as outer:
        for statement in _WORLD.split(";"):
            if statement.strip():
                connection.execute(text(statement))
        yield connection
        outer.rollback()


@dataclass(frozen=True)
class Line:
    receiver_id: str
    already_summarised: bool


@dataclass(frozen=True)
class Invoice:
    issuer_id: str
    type: str
    status: str
    lines: list[Line]


invoices_strategy = st.lists(
    st.builds(
        Invoice,
        issuer_id=st.sampled_from([ISSUER, "rules-D2"]),
        type=st.sampled_from([t.value for t in InvoiceType]),
        status=st.sampled_from(["verified", "draft"]),
        lines=st.lists(
            st.builds(
                Line, receiver_id=st.sampled_from(RECEIVERS), already_summarised=st.booleans()
            ),
            max_size=4,
        ),
    ),
    min_size=1,
    max_size=6,
)


def insert_invoice(conn: Connection, invoice: Invoice, earlier_summary: uuid.UUID) -> uuid.UUID:
    invoice_id: uuid.UUID = conn.execute(
        text(
            "insert into invoices (number, type, status, issuer_id, currency, subtotal, total) "
            "values ('rules-' || gen_random_uuid(), :type, :status, :issuer, 'EUR', 0, 0) "
            "returning id"
        ),
        {"type": invoice.type, "status": invoice.status, "issuer": invoice.issuer_id},
    ).scalar_one()
    for line in invoice.lines:
        line_id = conn.execute(
            text(
                """
                insert into billing_lines (charge_key, issuer_id, receiver_id, vendor_id,
                    offer_id, quantity, unit_price, amount, currency, invoice_frequency,
                    invoice_id)
                values ('rules-' || gen_random_uuid(), :issuer, :receiver, 'rules-v',
                    'rules-o', 1, 1, 1, 'EUR', 'monthly', :invoice)
                returning id
                """
            ),
            {"issuer": invoice.issuer_id, "receiver": line.receiver_id, "invoice": invoice_id},
        ).scalar_one()
        if line.already_summarised:
            conn.execute(
                text(
                    "insert into summary_invoice_lines "
                    "(billing_line_id, summary_invoice_id, source_invoice_id) "
                    "values (:line, :summary, :invoice)"
                ),
                {"line": line_id, "summary": earlier_summary, "invoice": invoice_id},
            )
    return invoice_id


def new_request(conn: Connection) -> uuid.UUID:
    request_id: uuid.UUID = conn.execute(
        text(
            "insert into summary_requests (issuer_id, invoice_date, requested_by, invoices_added) "
            "values (:issuer, current_date, 'rules', 0) returning id"
        ),
        {"issuer": ISSUER},
    ).scalar_one()
    return request_id


def earlier_summary(conn: Connection) -> uuid.UUID:
    summary_id: uuid.UUID = conn.execute(
        text(
            "insert into invoices (number, type, status, issuer_id, receiver_id) "
            "values ('rules-' || gen_random_uuid(), 'summary', 'verified', :issuer, 'rules-S1') "
            "returning id"
        ),
        {"issuer": ISSUER},
    ).scalar_one()
    conn.execute(
        text(
            "insert into summary_invoices (invoice_id, request_id, receiver_id, invoice_date) "
            "values (:id, :request, 'rules-S1', current_date)"
        ),
        {"id": summary_id, "request": new_request(conn)},
    )
    return summary_id


@settings(max_examples=100, deadline=None)
@given(generated=invoices_strategy)
def test_the_summary_sql_takes_the_unsummarised_lines_of_exactly_the_invoices_the_rule_adds(
    conn: Connection, generated: list[Invoice]
) -> None:
    savepoint = conn.begin_nested()
    try:
        summary_id = earlier_summary(conn)
        ids = [insert_invoice(conn, invoice, summary_id) for invoice in generated]
        facts = source_facts(conn, ids)
        added, _ = classify(ISSUER, [str(i) for i in ids], facts)

        # Every selected invoice is in the request: the SQL re-checks the rule on its own.
        request_id = new_request(conn)
        conn.execute(
            text(
                "insert into summary_request_invoices (request_id, invoice_id) "
                "select :request, unnest(cast(:ids as uuid[]))"
            ),
            {"request": request_id, "ids": ids},
        )
        stage_candidates(conn, request_id, ISSUER)
        taken = conn.execute(text("select line_id, invoice_id from summary_candidates")).all()

        # An invoice billing receivers beyond one level is refused when the request is made
        # and so never reaches the SQL; among the others the two forms agree.
        within_one_level = {i for i, f in facts.items() if not f.lines_beyond_one_level}
        assert {str(row.invoice_id) for row in taken} & within_one_level == set(added)
        unsummarised = conn.execute(
            text(
                "select bl.id from billing_lines bl where bl.invoice_id = any(cast(:ids as uuid[])) "
                "and not exists (select 1 from summary_invoice_lines s "
                "                where s.billing_line_id = bl.id)"
            ),
            {"ids": [uuid.UUID(i) for i in added]},
        ).scalars()
        added_set = set(added)
        assert {row.line_id for row in taken if str(row.invoice_id) in added_set} == set(
            unsummarised
        )
    finally:
        savepoint.rollback()  # also drops the staged candidates
