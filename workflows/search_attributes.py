"""The custom search attributes the engine's workflows set: one registry, so the worker, the dev
server start-up and the tests register exactly the same list."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

ORDER_NUMBER = SearchAttributeKey.for_keyword("OrderNumber")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
BILLING_STATE = SearchAttributeKey.for_keyword("BillingState")
PENDING_ITEMS = SearchAttributeKey.for_int("PendingItems")
# Summary invoices: the issuer of a request, the code of a summary invoice in tax sync.
# Month-end runs use IssuerId too: the issuer they bill.
ISSUER_ID = SearchAttributeKey.for_keyword("IssuerId")
INVOICE_CODE = SearchAttributeKey.for_keyword("InvoiceCode")
# Month-end and consolidation runs: the period ("YYYY-MM") or as-of day ("YYYY-MM-DD").
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
