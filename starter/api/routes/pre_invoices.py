"""Pre-invoice generations (delta invoicing), and finalizing a pre-invoice. The administrator
acts for every issuer; a partner's token for itself only (another's reads as not found)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query

from billing.contracts.common import Page
from billing.contracts.invoices import Invoice
from billing.contracts.pre_invoices import PreInvoiceRun, PreInvoiceRunAccepted, PreInvoiceRunIn
from billing.errors import NotFound
from billing.store import pre_invoice_runs, pre_invoice_status
from billing.store.invoices import get_invoice
from billing.temporal.billing_runs import temporal_status
from billing.temporal.pre_invoice_runs import start_pre_invoice_run
from billing.vocabulary import RunStatus
from starter.api.auth import Principal, can_read, can_run_billing
from starter.api.context import AppContext, get_context
from starter.api.cursors import PageCursor, page_cursor

router = APIRouter(prefix="/v1", tags=["delta invoicing"])


@router.post("/pre-invoice-runs", status_code=202, response_model=PreInvoiceRunAccepted)
async def create_pre_invoice_run(
    body: PreInvoiceRunIn,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> PreInvoiceRunAccepted:
    """Generate pre-invoices: per recurring subscription and month that starts on or before
    `as_of`, the difference between what should be billed and what is (nothing where they
    agree). Each call is a new generation `pre-invoice-run-<issuer>-<as_of>-<n>`; watch it at
    GET /v1/pre-invoice-runs/{run_id}. 409 when the issuer does not use delta invoicing."""
    if principal.partner_id is not None and principal.partner_id != body.issuer_id:
        raise NotFound(f"No partner with id {body.issuer_id!r}.")
    run_id = await ctx.transaction(pre_invoice_runs.reserve_run, body.issuer_id, body.as_of)
    await start_pre_invoice_run(
        ctx.temporal, run_id, body.issuer_id, body.as_of, task_queue=ctx.settings.task_queue
    )
    return PreInvoiceRunAccepted(run_id=run_id)


# Only Temporal can tell that a generation ended without completing: the record of one that
# failed still says running, so a listing of running or failed ones reads those records.
_RECORDED_AS = {
    RunStatus.running: [RunStatus.running],
    RunStatus.completed: [RunStatus.completed],
    RunStatus.failed: [RunStatus.failed, RunStatus.running],
}


@router.get("/pre-invoice-runs", response_model=Page[PreInvoiceRun])
async def list_pre_invoice_runs(
    issuer_id: str | None = None,
    status: RunStatus | None = Query(None, description="Only generations in this status."),
    cursor: PageCursor = Depends(page_cursor),
    limit: int | None = None,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Page[PreInvoiceRun]:
    """Pre-invoice generations, newest first. A partner's token lists its own generations
    only. With `status`, a page may hold fewer than `limit` items (a generation recorded as
    running that Temporal says failed is left out of `running`); follow `next_cursor` to the end."""
    page = await ctx.transaction(
        pre_invoice_runs.list_runs,
        issuer_id=issuer_id,
        statuses=_RECORDED_AS[status] if status else None,
        visible_to=principal.visible_to,
        cursor=cursor.after,
        limit=limit,
    )
    runs = await asyncio.gather(*(_as_temporal_sees_it(ctx, run) for run in page.items))
    items = [run for run in runs if status is None or run.status is status]
    return cursor.signed(page.model_copy(update={"items": items}))


@router.get("/pre-invoice-runs/{run_id}", response_model=PreInvoiceRun)
async def get_pre_invoice_run(
    run_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> PreInvoiceRun:
    run = await ctx.transaction(pre_invoice_runs.get_run, run_id, visible_to=principal.visible_to)
    return await _as_temporal_sees_it(ctx, run)


async def _as_temporal_sees_it(ctx: AppContext, run: PreInvoiceRun) -> PreInvoiceRun:
    """Only Temporal can tell that a generation ended without completing."""
    if (
        run.status is RunStatus.running
        and await temporal_status(ctx.temporal, run.run_id) is RunStatus.failed
    ):
        return run.model_copy(update={"status": RunStatus.failed})
    return run


@router.post("/invoices/{invoice_id}/finalize", response_model=Invoice)
async def finalize_pre_invoice(
    invoice_id: str,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> Invoice:
    """An open pre-invoice becomes `final`; finalizing it again changes nothing. Only its
    issuer (or the administrator) finalizes it."""
    await ctx.transaction(pre_invoice_status.finalize, invoice_id, issuer=principal.visible_to)
    return await ctx.transaction(get_invoice, invoice_id, visible_to=principal.visible_to)
