"""The custom search attributes the engine's workflows set: one registry, so the worker, the dev
server start-up and the tests register exactly the same list, and one value enum per keyword
attribute whose values are a fixed set, so every value an operator can search for is listed here."""

from __future__ import annotations

from enum import StrEnum

from temporalio.common import SearchAttributeKey

from billing.vocabulary import SummaryInvoiceState

ORDER_NUMBER = SearchAttributeKey.for_keyword("OrderNumber")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
BILLING_STATE = SearchAttributeKey.for_keyword("BillingState")
PENDING_ITEMS = SearchAttributeKey.for_int("PendingItems")
# Summary invoices: the issuer of a request, the code of a summary invoice in tax sync.
# Month-end runs and pre-invoice generations use IssuerId too: the issuer they bill.
ISSUER_ID = SearchAttributeKey.for_keyword("IssuerId")
INVOICE_CODE = SearchAttributeKey.for_keyword("InvoiceCode")
# Month-end and consolidation runs: the period ("YYYY-MM") or as-of day ("YYYY-MM-DD");
# pre-invoice generations: their as-of day.
BILLING_PERIOD = SearchAttributeKey.for_keyword("BillingPeriod")

ALL = (
    ORDER_NUMBER,
    CUSTOMER_ID,
    BILLING_STATE,
    PENDING_ITEMS,
    ISSUER_ID,
    INVOICE_CODE,
    BILLING_PERIOD,
)


class BillingState(StrEnum):
    """Every value of `BillingState`, whichever workflow sets it (`BillingState = 'Stuck'`)."""

    # Orders.
    AWAITING_PROVISIONING = "AwaitingProvisioning"
    STUCK = "Stuck"
    BILLING = "Billing"
    INVOICED = "Invoiced"
    NOTHING_TO_INVOICE = "NothingToInvoice"
    # Summary-invoice requests.
    CREATING_INVOICES = "CreatingInvoices"
    INVOICES_CREATED = "InvoicesCreated"
    # Month-end and consolidation runs.
    RUN_RUNNING = "Running"
    RUN_COMPLETED = "Completed"
    # Pre-invoice generations (delta invoicing).
    GENERATING = "Generating"
    GENERATED = "Generated"
    # Tax syncs: the summary invoice's tax-sync state, worded as the database stores it.
    TAX_NEW = "New"
    TAX_IN_PROGRESS = "TaxInProgress"
    TAX_COMPLETED = "TaxCompleted"
    TAX_FAILED = "TaxFailed"

    @classmethod
    def of_tax_sync(cls, state: SummaryInvoiceState) -> BillingState:
        return _TAX_SYNC[state]


_TAX_SYNC = {
    SummaryInvoiceState.new: BillingState.TAX_NEW,
    SummaryInvoiceState.tax_in_progress: BillingState.TAX_IN_PROGRESS,
    SummaryInvoiceState.tax_completed: BillingState.TAX_COMPLETED,
    SummaryInvoiceState.tax_failed: BillingState.TAX_FAILED,
}
