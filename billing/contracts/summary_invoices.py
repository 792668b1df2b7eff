"""Summary invoices as the API takes and shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from billing.contracts.common import Identifier, Strict
from billing.vocabulary import SkipReason, SummaryInvoiceState, SummaryRequestStatus

MAX_INVOICES_PER_REQUEST = 20_000


class SummaryRequestIn(Strict):
    issuer_id: Identifier
    invoice_ids: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        min_length=1, max_length=MAX_INVOICES_PER_REQUEST
    )
    invoice_date: date = Field(description="The summary invoices' date, as the user chose it.")

    @field_validator("invoice_ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        # Selecting an invoice twice is still one selection; keep the first occurrence's order.
        return list(dict.fromkeys(ids))


class SkippedInvoice(BaseModel):
    invoice_id: str
    reason: SkipReason
    detail: str = Field(description="The reason in words, for the tooltip.")


class SummaryPreview(BaseModel):
    """What a request would do, before anything is written (the administrator's confirmation)."""

    invoices_added: int
    invoices_skipped: list[SkippedInvoice]


class SummaryRequestAccepted(SummaryPreview):
    request_id: str


class SummaryRequestView(BaseModel):
    request_id: str
    issuer_id: str
    invoice_date: date
    status: SummaryRequestStatus
    message: str
    invoices_added: int
    invoices_skipped: list[SkippedInvoice]
    summary_invoice_ids: list[str]
    created_at: datetime
    completed_at: datetime | None = None


class CurrencyTotals(BaseModel):
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal


class SummaryInvoice(BaseModel):
    id: str
    invoice_code: str
    reference_code: str | None
    state: SummaryInvoiceState
    issuer_id: str
    receiver_id: str
    request_id: str
    currency: str | None = Field(description="Null when the summary holds several currencies.")
    invoice_date: date
    subtotal: Decimal | None = Field(description="Null when several currencies: see the totals.")
    tax: Decimal | None
    total: Decimal | None
    totals_by_currency: list[CurrencyTotals]
    source_invoice_ids: list[str]
    tax_failure_reason: str | None = None
    tax_attempts: int = 0
    pdf_available: bool = False
