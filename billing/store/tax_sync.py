"""The tax-sync state machine of a summary invoice, as rows: New → TaxInProgress → TaxCompleted
(reference code, tax and totals, the tax invoice's document) or TaxFailed (reason kept) →
TaxInProgress on retry. Each function is one transaction the tax-sync workflow runs as an
activity; each is safe to run twice."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text, update

from billing.contracts.summary_invoices import SummaryInvoice
from billing.contracts.summary_workflow import TaxOutcome, TaxSyncBegun
from billing.errors import Conflict, NotFound
from billing.invoice_document import InvoiceDocument, with_provider_tax
from billing.schema import (
    invoices,
    partners,
    summary_invoices,
)
from billing.store.invoice_documents import SUMMARY_LINES, invoice_document
from billing.store.invoices import parse_uuid
from billing.store.summary_invoices import get_summary_invoice
from billing.store.webhooks import record_event
from billing.tax.provider import TaxDocument, TaxLine
from billing.vocabulary import SummaryInvoiceState
from billing.webhook_events import WebhookEventType

State = SummaryInvoiceState


# The state machine's statements are built once: assembling them with SQLAlchemy's builders
# (and coercing the tax invoice's document into a literal) on every sync cost more CPU than
# running them.
_LOCK_STATE = text("select state from summary_invoices where invoice_id = :sid for update")


def _lock_state(conn: Connection, summary_invoice_id: str) -> State:
    sid = parse_uuid(summary_invoice_id, "summary invoice")
    state = conn.execute(_LOCK_STATE, {"sid": sid}).scalar()
    if state is None:
        raise NotFound(f"No summary invoice with id {summary_invoice_id!r}.")
    return State(state)


# A sync begun twice (a retried step) counts its attempt once: the update reads the state it
# changes, under the row lock it takes.
_BEGIN = text(
    """
    update summary_invoices
    set state = :in_progress,
        tax_attempts = tax_attempts + case when state = :in_progress then 0 else 1 end,
        state_changed_at = now()
    where invoice_id = :sid and state <> :completed
    returning tax_attempts
    """
)
_ATTEMPTS = text("select tax_attempts from summary_invoices where invoice_id = :sid")


def begin_tax_sync(conn: Connection, summary_invoice_id: str) -> TaxSyncBegun:
    """New or TaxFailed → TaxInProgress, counting the attempt. A completed sync stays so."""
    sid = parse_uuid(summary_invoice_id, "summary invoice")
    attempt = conn.execute(
        _BEGIN,
        {
            "sid": sid,
            "in_progress": State.tax_in_progress.value,
            "completed": State.tax_completed.value,
        },
    ).scalar_one_or_none()
    if attempt is not None:
        return TaxSyncBegun(state=State.tax_in_progress, attempt=attempt)
    attempts = conn.execute(_ATTEMPTS, {"sid": sid}).scalar()
    if attempts is None:
        raise NotFound(f"No summary invoice with id {summary_invoice_id!r}.")
    return TaxSyncBegun(state=State.tax_completed, attempt=attempts)


# Built once, like the statements of billing/store/invoice_documents.py: only the id is bound.
_TAX_DOCUMENT_HEAD = (
    select(
        invoices.c.issuer_id,
        invoices.c.receiver_id,
        summary_invoices.c.invoice_date,
        partners.c.country,
    )
    .join(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)
    .join(partners, partners.c.id == invoices.c.receiver_id)
    .where(invoices.c.id == bindparam("sid"))
)


def tax_document(conn: Connection, summary_invoice_id: str) -> TaxDocument:
    """The document the provider taxes: coded by the summary invoice id."""
    sid = parse_uuid(summary_invoice_id, "summary invoice")
    head = conn.execute(_TAX_DOCUMENT_HEAD, {"sid": sid}).one()
    lines = conn.execute(SUMMARY_LINES, {"invoice_id": sid}).all()
    return TaxDocument(
        code=str(sid),
        company_code=head.issuer_id,
        customer_code=head.receiver_id,
        customer_country=head.country,
        date=head.invoice_date,
        lines=[
            TaxLine(
                number=str(line.line_id),
                source_invoice=line.source_invoice,
                description=line.name,
                amount=line.amount,
                currency=line.currency,
            )
            for line in lines
        ],
    )


def complete_tax_sync(conn: Connection, summary_invoice_id: str, outcome: TaxOutcome) -> None:
    """TaxInProgress → TaxCompleted: our record of the provider's document (one per summary
    invoice), tax and totals per currency, the reference code and the tax invoice's document,
    in one transaction.

    The document is kept as it reads before the write, with the provider's answer applied
    (`with_provider_tax`), so every write goes in one statement. Its PDF is not rendered here:
    rendering costs far more CPU than the rest of the sync, and is done once, on the first
    download (`billing/store/invoice_pdfs.py`), from this stored document."""
    state = _lock_state(conn, summary_invoice_id)
    if state is State.tax_completed:
        return
    sid = parse_uuid(summary_invoice_id, "summary invoice")
    taxes = {t.currency: t.tax for t in outcome.taxes}
    document = with_provider_tax(
        invoice_document(conn, summary_invoice_id), outcome.reference_code, taxes
    )
    conn.execute(_COMPLETE, _completion_params(sid, outcome, taxes, document))
    record_event(
        conn,
        document.issuer.id,
        WebhookEventType.summary_invoice_tax_completed,
        summary_invoice_id,
        {
            "summary_invoice_id": summary_invoice_id,
            "invoice_code": document.number,
            "receiver_id": document.receiver.id if document.receiver else None,
            "reference_code": outcome.reference_code,
            "taxes": {t.currency: str(t.tax) for t in outcome.taxes},
        },
    )


# Totals per currency; the invoice row's amounts when the summary has one currency (its totals
# are shown there too); our record of the provider's document (one per summary invoice); the
# summary's state, reference code and tax invoice. One statement of data-modifying CTEs.
_COMPLETE = text(
    """
    with given as (
        select * from unnest(cast(:currencies as text[]), cast(:taxes as numeric[]))
            as g(currency, tax)
    ),
    totals as (
        update summary_invoice_totals t
        set tax = given.tax, total = t.subtotal + given.tax
        from given
        where t.summary_invoice_id = :sid and t.currency = given.currency
    ),
    invoice as (
        update invoices i
        set tax = given.tax, total = i.subtotal + given.tax
        from given
        where i.id = :sid and i.currency = given.currency
          and (select count(*) from given) = 1
    ),
    document as (
        insert into tax_documents (
            summary_invoice_id, provider, document_code, reference_code, committed)
        values (:sid, :provider, :document_code, :reference_code, :committed)
        on conflict (summary_invoice_id) do update
        set provider = excluded.provider, document_code = excluded.document_code,
            reference_code = excluded.reference_code, committed = excluded.committed,
            updated_at = now()
    )
    update summary_invoices
    set state = :completed, reference_code = :reference_code,
        tax_invoice = cast(:tax_invoice as jsonb), tax_failure_reason = null,
        state_changed_at = now()
    where invoice_id = :sid
    """
)


def _completion_params(
    sid: uuid.UUID, outcome: TaxOutcome, taxes: dict[str, Decimal], tax_invoice: InvoiceDocument
) -> dict[str, Any]:
    currencies = sorted(taxes)
    return {
        "sid": sid,
        "currencies": currencies,
        "taxes": [taxes[currency] for currency in currencies],
        "provider": outcome.provider,
        "document_code": outcome.document_code,
        "reference_code": outcome.reference_code,
        "committed": outcome.committed,
        "completed": State.tax_completed.value,
        "tax_invoice": tax_invoice.model_dump_json(),
    }


def fail_tax_sync(conn: Connection, summary_invoice_id: str, reason: str) -> None:
    """TaxInProgress → TaxFailed, keeping the reason for the operator."""
    state = _lock_state(conn, summary_invoice_id)
    if state is State.tax_completed:
        return
    failed = conn.execute(
        update(summary_invoices)
        .where(summary_invoices.c.invoice_id == parse_uuid(summary_invoice_id, "summary invoice"))
        .values(
            state=State.tax_failed.value, tax_failure_reason=reason, state_changed_at=func.now()
        )
        .returning(summary_invoices.c.tax_attempts)
    ).scalar_one()
    head = conn.execute(
        select(invoices.c.issuer_id, invoices.c.receiver_id, invoices.c.number).where(
            invoices.c.id == parse_uuid(summary_invoice_id, "summary invoice")
        )
    ).one()
    # One event per failed sync attempt: a retry that fails again is news again.
    record_event(
        conn,
        head.issuer_id,
        WebhookEventType.summary_invoice_tax_failed,
        f"{summary_invoice_id}:{failed}",
        {
            "summary_invoice_id": summary_invoice_id,
            "invoice_code": head.number,
            "receiver_id": head.receiver_id,
            "reason": reason,
            "attempt": failed,
        },
    )


def ensure_retryable(
    conn: Connection, summary_invoice_id: str, *, visible_to: str | None = None
) -> SummaryInvoice:
    summary = get_summary_invoice(conn, summary_invoice_id, visible_to=visible_to)
    if summary.state is not State.tax_failed:
        raise Conflict(
            f"Summary invoice {summary.invoice_code} is {summary.state}; only a TaxFailed "
            "invoice can be retried."
        )
    return summary
