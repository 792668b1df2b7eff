"""Invoices Outgoing and Incoming: summary invoices with their tax state, codes, amounts and
PDF; the source invoices with their Summary Invoice column; retry of a TaxFailed tax sync."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from billing.contracts.invoices import Invoice
from billing.contracts.summary_invoices import SummaryInvoice
from billing.errors import BillingError
from billing.store.reference_data import partner_names
from billing.vocabulary import InvoiceType, SummaryInvoiceState
from starter.api.context import AppContext, get_context
from starter.api.routes import invoicing
from starter.api.routes import summary_invoices as summary_routes
from starter.console.api_calls import as_viewer
from starter.console.paging import console_cursor
from starter.console.problems import problem_page
from starter.console.session import PATH, Viewer, checked_form, viewer
from starter.console.templating import render

router = APIRouter()
Side = Literal["outgoing", "incoming"]
RETRY_WAIT_STEPS = 100  # 10 s
SETTLED = {SummaryInvoiceState.tax_completed, SummaryInvoiceState.tax_failed}


async def _tables(
    request: Request,
    who: Viewer,
    ctx: AppContext,
    side: Side,
    *,
    order_number: str | None,
    cursor: str | None,
    summary_cursor: str | None,
) -> dict[str, Any]:
    partner = who.partner_id
    issuer, receiver = (partner, None) if side == "outgoing" else (None, partner)
    summaries = await as_viewer(
        summary_routes.list_summary_invoices,
        who,
        issuer_id=issuer,
        receiver_id=receiver,
        state=None,
        cursor=console_cursor(request, summary_cursor, f"{PATH}/invoices/{side}#summaries"),
        limit=25,
        ctx=ctx,
    )
    invoices = await as_viewer(
        invoicing.list_invoices,
        who,
        order_number=order_number or None,
        issuer_id=issuer,
        receiver_id=receiver,
        type=None,
        cursor=console_cursor(request, cursor, f"{PATH}/invoices/{side}#invoices"),
        limit=25,
        ctx=ctx,
    )
    summary_rows: list[SummaryInvoice] = summaries.items
    invoice_rows: list[Invoice] = [i for i in invoices.items if i.type != InvoiceType.summary]
    names = await ctx.transaction(
        partner_names,
        {s.receiver_id for s in summary_rows}
        | {s.issuer_id for s in summary_rows}
        | {i.receiver_id for i in invoice_rows if i.receiver_id}
        | {i.issuer_id for i in invoice_rows},
    )
    return {
        "summaries": summaries,
        "summary_rows": summary_rows,
        "invoices": invoices,
        "invoice_rows": invoice_rows,
        "names": names,
        "pending": any(s.state not in SETTLED for s in summary_rows),
        "side": side,
        "order_number": order_number or "",
        "cursor": cursor,
        "summary_cursor": summary_cursor,
    }


async def _page(
    request: Request,
    who: Viewer,
    ctx: AppContext,
    side: Side,
    template: str,
    **filters: str | None,
) -> Response:
    if side == "incoming" and who.partner_id is None:
        return render(request, "invoices.html", who, side=side, needs_partner=True)
    try:
        tables = await _tables(
            request,
            who,
            ctx,
            side,
            order_number=filters.get("order_number"),
            cursor=filters.get("cursor"),
            summary_cursor=filters.get("summary_cursor"),
        )
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/invoices/{side}")
    return render(
        request, template, who, needs_partner=False, notice=filters.get("notice"), **tables
    )


@router.get("/invoices/{side}")
async def show_invoices(
    request: Request,
    side: Side,
    order_number: str | None = None,
    cursor: str | None = None,
    summary_cursor: str | None = None,
    notice: str | None = None,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    return await _page(
        request,
        who,
        ctx,
        side,
        "invoices.html",
        order_number=order_number,
        cursor=cursor,
        summary_cursor=summary_cursor,
        notice=notice,
    )


@router.get("/invoices/{side}/summaries")
async def show_summary_table(
    request: Request,
    side: Side,
    summary_cursor: str | None = None,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """The summary invoices table alone, polled while a tax sync is under way."""
    return await _page(request, who, ctx, side, "summary_table.html", summary_cursor=summary_cursor)


@router.get("/invoices/{invoice_id}/pdf")
async def show_invoice_pdf(
    request: Request,
    invoice_id: str,
    download: bool = False,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """An invoice's PDF (a summary invoice's tax invoice): previewed in the browser, or saved
    with `download=true`."""
    try:
        return await as_viewer(
            invoicing.get_invoice_pdf, who, invoice_id=invoice_id, download=download, ctx=ctx
        )
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/invoices/outgoing")


@router.post(
    "/summary-invoices/{summary_invoice_id}/retry-tax", dependencies=[Depends(checked_form)]
)
async def retry_tax_sync(
    request: Request,
    summary_invoice_id: str,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    try:
        summary = await as_viewer(
            summary_routes.retry_summary_tax_sync,
            who,
            summary_invoice_id=summary_invoice_id,
            ctx=ctx,
        )
        # The workflow takes the retry in a moment; wait for it (briefly) so the page that
        # follows shows TaxInProgress and follows it live, rather than the old TaxFailed.
        for _ in range(RETRY_WAIT_STEPS):
            current = await as_viewer(
                summary_routes.get_summary_invoice, who, summary_invoice_id=summary.id, ctx=ctx
            )
            if current.state is not SummaryInvoiceState.tax_failed:
                break
            await asyncio.sleep(0.1)
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/invoices/outgoing")
    return RedirectResponse(
        f"{PATH}/invoices/outgoing?notice=retried-{summary.invoice_code}", status_code=303
    )
