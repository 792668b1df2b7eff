"""Pre-invoice generations (delta invoicing), and finalizing a pre-invoice. The administrator
acts for every issuer; a partner's token for itself only (another's reads as not found)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

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


@router.get("/pre-invoice-runs/{run_id}", response_model=PreInvoiceRun)
async def get_pre_invoice_run(
    run_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> PreInvoiceRun:
    run = await ctx.transaction(pre_invoice_runs.get_run, run_id, visible_to=principal.visible_to)
    # Only Temporal can tell that a generation ended without completing.
    if (
        run.status is RunStatus.running
        and await temporal_status(ctx.temporal, run_id) is RunStatus.failed
    ):
        run = run.model_copy(update={"status": RunStatus.failed})
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
