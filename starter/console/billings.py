"""Outgoing Billings: the issuer's billing lines (Invoice Frequency, Order Number: sortable,
searchable, paginated with the API's cursors), and Create Summary Invoice from the invoices
selected there: confirmation with the added and skipped invoices, then live progress."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from billing.contracts.summary_invoices import SummaryRequestIn
from billing.errors import BillingError
from billing.store.billings import BillingSort
from billing.store.invoices import invoice_labels
from billing.summary_invoices import IN_PROGRESS_MESSAGE
from billing.vocabulary import SkipReason, SummaryRequestStatus
from starter.api.context import AppContext, get_context
from starter.api.routes import invoicing
from starter.api.routes import summary_invoices as summary_routes
from starter.console.api_calls import as_viewer
from starter.console.paging import console_cursor
from starter.console.problems import problem_page, validation_detail
from starter.console.session import PATH, Viewer, checked_form, viewer
from starter.console.templating import render

router = APIRouter()
SORTS: tuple[BillingSort, ...] = ("created_at", "-created_at", "order_number", "-order_number")


@router.get("/billings")
async def show_outgoing_billings(
    request: Request,
    q: str = "",
    sort: str = "-created_at",
    cursor: str | None = None,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    chosen: BillingSort = next((s for s in SORTS if s == sort), "-created_at")
    try:
        page = await as_viewer(
            invoicing.list_billings,
            who,
            issuer_id=who.partner_id,
            q=q.strip() or None,
            sort=chosen,
            cursor=console_cursor(request, cursor, f"{PATH}/billings"),
            limit=25,
            ctx=ctx,
        )
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/billings")
    invoice_ids = {line.invoice_id for line in page.items if line.invoice_id}
    labels = await ctx.transaction(invoice_labels, invoice_ids, visible_to=who.partner_id)
    return render(
        request,
        "billings.html",
        who,
        page=page,
        labels=labels,
        q=q,
        sort=chosen,
        cursor=cursor,
    )


def _issuer_of(who: Viewer, issuers: set[str]) -> str | None:
    """Whom a summary request is for: the partner in view, or (for the administrator acting as
    itself) the one issuer of the selected invoices."""
    if who.partner_id is not None:
        return who.partner_id
    return next(iter(issuers)) if len(issuers) == 1 else None


@router.post("/summary-invoices/confirm", dependencies=[Depends(checked_form)])
async def confirm_summary_invoices(
    request: Request,
    invoice_id: list[str] = Form(default_factory=list),
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """The confirmation: the date picker, how many invoices are added, which are skipped and
    why (the API's own preview)."""
    back = f"{PATH}/billings"
    selected = list(dict.fromkeys(invoice_id))
    if not selected:
        return problem_page(
            request,
            who,
            "Select at least one invoice (the checkboxes in the Invoice column), then choose "
            "Create Summary Invoice.",
            title="No invoice selected",
            back=back,
            status_code=422,
        )
    labels = await ctx.transaction(invoice_labels, set(selected), visible_to=who.partner_id)
    issuer = _issuer_of(who, {label.issuer_id for label in labels.values()})
    if issuer is None:
        return problem_page(
            request,
            who,
            "The selected invoices come from several issuers. Act on behalf of one partner "
            "(at the top of the page) or select invoices of one issuer.",
            title="Several issuers selected",
            back=back,
            status_code=422,
        )
    today = datetime.now(UTC).date()
    try:
        body = SummaryRequestIn(issuer_id=issuer, invoice_ids=selected, invoice_date=today)
        preview = await as_viewer(summary_routes.preview_summary_invoices, who, body=body, ctx=ctx)
    except BillingError as error:
        return problem_page(request, who, error, back=back)
    return render(
        request,
        "summary_confirm.html",
        who,
        issuer_id=issuer,
        selected=selected,
        labels=labels,
        preview=preview,
        today=today,
        already_consolidated=SkipReason.already_consolidated,
        in_progress_message=IN_PROGRESS_MESSAGE,
    )


@router.post("/summary-invoices", dependencies=[Depends(checked_form)])
async def create_summary_invoices(
    request: Request,
    issuer_id: str = Form(...),
    invoice_date: str = Form(...),
    invoice_id: list[str] = Form(default_factory=list),
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    back = f"{PATH}/billings"
    try:
        body = SummaryRequestIn(
            issuer_id=issuer_id,
            invoice_ids=invoice_id,
            invoice_date=invoice_date,
        )
    except ValidationError as error:
        return problem_page(
            request, who, validation_detail(error), title="Check the form", back=back,
            status_code=422,
        )  # fmt: skip
    try:
        accepted = await as_viewer(summary_routes.create_summary_invoices, who, body=body, ctx=ctx)
    except BillingError as error:
        return problem_page(request, who, error, back=back)
    if not accepted.invoices_added:
        return problem_page(
            request,
            who,
            "Every selected invoice was skipped, so no summary invoice is made: "
            + " ".join(s.detail for s in accepted.invoices_skipped),
            title="Nothing to consolidate",
            back=back,
            status_code=409,
        )
    return RedirectResponse(f"{PATH}/summary-requests/{accepted.request_id}", status_code=303)


async def _request_view(
    request: Request, request_id: str, who: Viewer, ctx: AppContext, name: str
) -> Response:
    try:
        view = await as_viewer(
            summary_routes.get_summary_request, who, request_id=request_id, ctx=ctx
        )
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/billings")
    return render(
        request,
        name,
        who,
        view=view,
        done=view.status is SummaryRequestStatus.complete,
    )


@router.get("/summary-requests/{request_id}")
async def show_summary_request(
    request: Request,
    request_id: str,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    return await _request_view(request, request_id, who, ctx, "summary_request.html")


@router.get("/summary-requests/{request_id}/status")
async def show_summary_request_status(
    request: Request,
    request_id: str,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """The live part of the request page, polled while the summaries are being created."""
    return await _request_view(request, request_id, who, ctx, "summary_status.html")
