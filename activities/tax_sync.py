"""Activities of the tax-sync workflow. The provider call is its own activity, so Temporal
retries only it, with backoff; provider errors are classified here for Temporal."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from billing.contracts.summary_workflow import (
    PERMANENT_TAX_ERROR,
    TRANSIENT_TAX_ERROR,
    BeginTaxSyncInput,
    CalculateTaxInput,
    CompleteTaxSyncInput,
    CurrencyTax,
    FailTaxSyncInput,
    TaxOutcome,
    TaxSyncBegun,
)
from billing.fault_injection import kill_point
from billing.store import tax_sync
from billing.tax.provider import PermanentTaxError, TaxProvider, TransientTaxError


class TaxSyncActivities:
    def __init__(self, engine: Engine, provider: TaxProvider) -> None:
        self._engine = engine
        self._provider = provider

    @activity.defn(name="begin_tax_sync")
    def begin_tax_sync(self, input: BeginTaxSyncInput) -> TaxSyncBegun:
        with self._engine.begin() as conn:
            return tax_sync.begin_tax_sync(conn, input.summary_invoice_id)

    @activity.defn(name="calculate_tax")
    def calculate_tax(self, input: CalculateTaxInput) -> TaxOutcome:
        with self._engine.begin() as conn:
            document = tax_sync.tax_document(conn, input.summary_invoice_id)
        try:
            result = self._provider.create_or_adjust(document)
        except PermanentTaxError as error:
            raise ApplicationError(
                str(error), type=PERMANENT_TAX_ERROR, non_retryable=True
            ) from None
        except TransientTaxError as error:
            raise ApplicationError(str(error), type=TRANSIENT_TAX_ERROR) from None
        return TaxOutcome(
            provider=self._provider.name,
            document_code=result.document_code,
            reference_code=result.reference_code,
            committed=result.committed,
            taxes=[
                CurrencyTax(currency=c, tax=t) for c, t in sorted(result.tax_by_currency.items())
            ],
        )

    @activity.defn(name="complete_tax_sync")
    def complete_tax_sync(self, input: CompleteTaxSyncInput) -> None:
        with self._engine.begin() as conn:
            tax_sync.complete_tax_sync(conn, input.summary_invoice_id, input.outcome)
        kill_point("tax_sync.after_complete_commit")

    @activity.defn(name="fail_tax_sync")
    def fail_tax_sync(self, input: FailTaxSyncInput) -> None:
        with self._engine.begin() as conn:
            tax_sync.fail_tax_sync(conn, input.summary_invoice_id, input.reason)
