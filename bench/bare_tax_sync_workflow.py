"""The baseline for the tax-sync figure of bench/summary_invoices.py: bare Temporal doing a tax
sync's shape (three task-queue activities in a row: begin, calculate, complete) with no
database, no tax provider and no PDF."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bare_tax_step")
def bare_tax_step(summary: str) -> str:
    return summary


@workflow.defn(name="BareTaxSync")
class BareTaxSyncWorkflow:
    @workflow.run
    async def run(self, summary: str) -> str:
        for _ in range(3):
            summary = await workflow.execute_activity(
                bare_tax_step, summary, start_to_close_timeout=timedelta(seconds=30)
            )
        return summary
