"""What crosses the summary-request and tax-sync workflows' boundaries. Plain pydantic so the
workflow sandbox passes it through."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel

from billing.vocabulary import SummaryInvoiceState, SummaryRequestStatus

# The error types the tax activity reports to Temporal: the workflow lists the permanent one as
# non-retryable, so a refusal no retry can fix (invalid address, bad credentials) fails at once.
PERMANENT_TAX_ERROR = "PermanentTaxError"
TRANSIENT_TAX_ERROR = "TransientTaxError"


class TaxSyncOptions(BaseModel):
    """How hard a tax sync tries before it gives up with TaxFailed (from Settings)."""

    call_timeout: timedelta = timedelta(seconds=30)
    retry_initial_interval: timedelta = timedelta(seconds=1)
    retry_maximum_interval: timedelta = timedelta(minutes=1)
    max_attempts: int = 8


class SummaryRequestInput(BaseModel):
    request_id: str
    issuer_id: str
    invoices_added: int
    tax: TaxSyncOptions = TaxSyncOptions()


class ConsolidationResult(BaseModel):
    summary_invoice_ids: list[str]
    invoice_codes: list[str]
    lines_consolidated: int


class SummaryRequestProgress(BaseModel):
    request_id: str
    status: SummaryRequestStatus
    message: str
    summary_invoice_ids: list[str]


class ConsolidateRequestInput(BaseModel):
    """Activity input: consolidate the request's accepted invoices into summary invoices."""

    request_id: str


class TaxSyncStart(BaseModel):
    """Activity input: start the tax syncs of a request's summary invoices."""

    request_id: str
    tax: TaxSyncOptions


class TaxSyncInput(BaseModel):
    summary_invoice_id: str
    invoice_code: str
    receiver_id: str
    options: TaxSyncOptions = TaxSyncOptions()


class CurrencyTax(BaseModel):
    currency: str
    tax: Decimal


class TaxOutcome(BaseModel):
    """What the tax provider answered for one summary invoice's document."""

    provider: str
    document_code: str
    reference_code: str
    committed: bool
    taxes: list[CurrencyTax]


class TaxSyncBegun(BaseModel):
    state: SummaryInvoiceState
    attempt: int


class TaxSyncProgress(BaseModel):
    summary_invoice_id: str
    invoice_code: str
    state: SummaryInvoiceState
    reference_code: str | None = None
    failure_reason: str | None = None
    attempts: int = 0


class BeginTaxSyncInput(BaseModel):
    """Activity input: move the summary invoice to TaxInProgress and count the attempt."""

    summary_invoice_id: str


class CalculateTaxInput(BaseModel):
    """Activity input: create or adjust the summary invoice's tax document."""

    summary_invoice_id: str


class CompleteTaxSyncInput(BaseModel):
    """Activity input: record the provider's answer (TaxCompleted) and the tax invoice's
    document its PDF is rendered from."""

    summary_invoice_id: str
    outcome: TaxOutcome


class FailTaxSyncInput(BaseModel):
    """Activity input: record TaxFailed with the reason an operator reads."""

    summary_invoice_id: str
    reason: str
