"""The baselines for the tax-sync figure of bench/summary_invoices.py: bare Temporal doing a tax
sync's shapes with no database, no tax provider and no PDF.

`BareTaxSyncWorkflow` is the shape tax sync had first: three task-queue activities in a row
(begin, calculate, complete). `BareLocalTaxSyncWorkflow` is the shape it has now: the two
database steps as local activities around one task-queue activity (the provider call)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

STEP_TIMEOUT = timedelta(seconds=30)


@activity.defn(name="bare_tax_step")
def bare_tax_step(summary: str) -> str:
    return summary


@workflow.defn(name="BareTaxSync")
class BareTaxSyncWorkflow:
    @workflow.run
    async def run(self, summary: str) -> str:
        for _ in range(3):
            summary = await workflow.execute_activity(
                bare_tax_step, summary, start_to_close_timeout=STEP_TIMEOUT
            )
        return summary


@workflow.defn(name="BareLocalTaxSync")
class BareLocalTaxSyncWorkflow:
    @workflow.run
    async def run(self, summary: str) -> str:
        summary = await workflow.execute_local_activity(
            bare_tax_step, summary, start_to_close_timeout=STEP_TIMEOUT
        )
        summary = await workflow.execute_activity(
            bare_tax_step, summary, start_to_close_timeout=STEP_TIMEOUT
        )
        return await workflow.execute_local_activity(
            bare_tax_step, summary, start_to_close_timeout=STEP_TIMEOUT
        )
