"""Activities of the summary-request workflow: the consolidation (one database transaction) and
the start of each summary invoice's tax sync."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, select
from temporalio import activity
from temporalio.client import Client

from billing.contracts.summary_workflow import (
    ConsolidateRequestInput,
    ConsolidationResult,
    TaxSyncInput,
    TaxSyncStart,
)
from billing.fault_injection import kill_point
from billing.schema import invoices, summary_invoices
from billing.store.invoices import parse_uuid
from billing.store.summary_invoices import consolidate
from billing.temporal.tax_syncs import start_tax_sync

START_CONCURRENCY = 32


class SummaryActivities:
    def __init__(self, engine: Engine, client: Client) -> None:
        self._engine = engine
        self._client = client

    @activity.defn(name="consolidate_summary_request")
    def consolidate_summary_request(self, input: ConsolidateRequestInput) -> ConsolidationResult:
        with self._engine.begin() as conn:
            result = consolidate(conn, input.request_id)
            kill_point("summary_consolidation.in_transaction")
        kill_point("summary_consolidation.after_commit")
        return result

    def _summaries(self, request_id: str) -> list[tuple[str, str, str]]:
        with self._engine.begin() as conn:
            return [
                (str(row.id), row.number, row.receiver_id)
                for row in conn.execute(
                    select(invoices.c.id, invoices.c.number, invoices.c.receiver_id)
                    .join(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)
                    .where(
                        summary_invoices.c.request_id == parse_uuid(request_id, "summary request")
                    )
                    .order_by(invoices.c.number)
                )
            ]

    @activity.defn(name="start_tax_syncs")
    async def start_tax_syncs(self, start: TaxSyncStart) -> int:
        """Async: it only waits on Temporal. Each start is idempotent by workflow id, so a retry
        of this activity starts only what is missing."""
        summaries = await asyncio.to_thread(self._summaries, start.request_id)
        task_queue = activity.info().task_queue
        gate = asyncio.Semaphore(START_CONCURRENCY)

        async def one(summary_id: str, code: str, receiver_id: str) -> None:
            async with gate:
                await start_tax_sync(
                    self._client,
                    TaxSyncInput(
                        summary_invoice_id=summary_id,
                        invoice_code=code,
                        receiver_id=receiver_id,
                        options=start.tax,
                    ),
                    receiver_id=receiver_id,
                    task_queue=task_queue,
                )

        await asyncio.gather(*(one(*summary) for summary in summaries))
        return len(summaries)
