"""Pre-invoices of delta invoicing: the list (open or final, with the accounting period each
is assigned to), one pre-invoice with its delta lines, finalizing it, and pre-invoice
generations: the recent ones listed beside the pre-invoices, started here and watched live like
billing runs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from billing.contracts.pre_invoices import PreInvoiceRunIn
from billing.errors import BillingError, NotFound
from billing.store.reference_data import partner_names
from billing.vocabulary import InvoiceType, PreInvoiceStatus, RunStatus
from starter.api.context import AppContext, get_context
from starter.api.routes import invoicing
from starter.api.routes import pre_invoices as pre_invoice_routes
from starter.console.api_calls import as_viewer
from starter.console.paging import console_cursor
from starter.console.problems import problem_page, validation_detail
from starter.console.session import PATH, Viewer, checked_form, viewer
from starter.console.templating import render

router = APIRouter()
BACK = f"{PATH}/pre-invoices"
# The page shows the newest generations only; older ones are a CLI or API listing away.
RECENT_RUNS = 10


@router.get("/pre-invoices")
async def show_pre_invoices(
    request: Request,
    cursor: str | None = None,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    try:
        page = await as_viewer(
            invoicing.list_invoices,
            who,
            order_number=None,
            issuer_id=who.partner_id,
            receiver_id=None,
            type=InvoiceType.pre_invoice,
            cursor=console_cursor(request, cursor, BACK),
            limit=25,
            ctx=ctx,
        )
        runs = await as_viewer(
            pre_invoice_routes.list_pre_invoice_runs,
            who,
            issuer_id=who.partner_id,
            status=None,
            cursor=console_cursor(request, None, f"{BACK}#generations"),
            limit=RECENT_RUNS,
            ctx=ctx,
        )
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/billings")
    names = await ctx.transaction(
        partner_names,
        {i.receiver_id for i in page.items if i.receiver_id}
        | {i.issuer_id for i in page.items}
        | {r.issuer_id for r in runs.items},
    )
    today = datetime.now(ZoneInfo(who.time_zone)).date()
    return render(
        request,
        "pre_invoices.html",
        who,
        pre_invoices=page,
        runs=runs.items,
        running=RunStatus.running,
        names=names,
        cursor=cursor,
        today=today.isoformat(),
    )


@router.get("/pre-invoices/{invoice_id}")
async def show_pre_invoice(
    request: Request,
    invoice_id: str,
    notice: str | None = None,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    try:
        invoice = await as_viewer(invoicing.get_invoice, who, invoice_id=invoice_id, ctx=ctx)
        if invoice.type != InvoiceType.pre_invoice:
            raise NotFound(f"No pre-invoice with id {invoice_id!r}.")
    except BillingError as error:
        return problem_page(request, who, error, back=BACK)
    names = await ctx.transaction(
        partner_names, {p for p in (invoice.issuer_id, invoice.receiver_id) if p}
    )
    return render(
        request,
        "pre_invoice.html",
        who,
        invoice=invoice,
        names=names,
        notice=notice,
        open=PreInvoiceStatus.open,
    )


@router.post("/pre-invoices/{invoice_id}/finalize", dependencies=[Depends(checked_form)])
async def finalize_pre_invoice(
    request: Request,
    invoice_id: str,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    try:
        await as_viewer(
            pre_invoice_routes.finalize_pre_invoice, who, invoice_id=invoice_id, ctx=ctx
        )
    except BillingError as error:
        return problem_page(request, who, error, back=f"{BACK}/{invoice_id}")
    return RedirectResponse(f"{BACK}/{invoice_id}?notice=finalized", status_code=303)


@router.post("/pre-invoice-runs", dependencies=[Depends(checked_form)])
async def start_pre_invoice_run(
    request: Request,
    issuer_id: str = Form(""),
    as_of: str = Form(""),
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """Start a generation through the API's own handler, then watch it."""
    try:
        body = PreInvoiceRunIn.model_validate(
            {"issuer_id": issuer_id.strip() or (who.partner_id or ""), "as_of": as_of}
        )
    except ValidationError as error:
        return problem_page(
            request, who,
            "Give the issuer's id and the day the generation stands on: " + validation_detail(error),
            title="Check the form", back=BACK, status_code=422,
        )  # fmt: skip
    try:
        accepted = await as_viewer(
            pre_invoice_routes.create_pre_invoice_run, who, body=body, ctx=ctx
        )
    except BillingError as error:
        return problem_page(request, who, error, back=BACK)
    return RedirectResponse(f"{PATH}/pre-invoice-runs/{accepted.run_id}", status_code=303)


@router.get("/pre-invoice-runs/{run_id}")
async def show_pre_invoice_run(
    request: Request,
    run_id: str,
    fragment: bool = False,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """One generation with its progress; `fragment=true` is the live part the page polls."""
    try:
        run = await as_viewer(pre_invoice_routes.get_pre_invoice_run, who, run_id=run_id, ctx=ctx)
    except BillingError as error:
        return problem_page(request, who, error, back=BACK)
    name = "pre_invoice_run_progress.html" if fragment else "pre_invoice_run.html"
    return render(request, name, who, run=run, running=RunStatus.running)
