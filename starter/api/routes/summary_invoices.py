"""Summary invoices: requests that consolidate selected invoices, the summary
invoices they make, their tax sync and tax invoice PDF."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from billing.contracts.common import Page
from billing.contracts.summary_invoices import (
    SummaryInvoice,
    SummaryPreview,
    SummaryRequestAccepted,
    SummaryRequestIn,
    SummaryRequestView,
)
from billing.contracts.summary_workflow import TaxSyncInput
from billing.errors import NotFound
from billing.store import summary_invoices as store
from billing.store import tax_sync
from billing.store.invoice_pdfs import tax_invoice_pdf
from billing.tax.configured import tax_sync_options
from billing.temporal.summary_requests import start_summary_request
from billing.temporal.tax_syncs import retry_tax_sync
from billing.vocabulary import SummaryInvoiceState, SummaryRequestStatus
from starter.api.auth import Principal, can_read, can_run_billing
from starter.api.context import AppContext, get_context
from starter.api.cursors import PageCursor, page_cursor

router = APIRouter(prefix="/v1", tags=["summary invoices"])


@router.post("/summary-invoices/preview", response_model=SummaryPreview)
async def preview_summary_invoices(
    body: SummaryRequestIn,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> SummaryPreview:
    """What `POST /v1/summary-invoices` would add and skip (the confirmation popup); writes
    nothing."""
    principal.ensure_acts_for(body.issuer_id)
    return await ctx.transaction(store.preview_request, body)


@router.post("/summary-invoices", status_code=202, response_model=SummaryRequestAccepted)
async def create_summary_invoices(
    body: SummaryRequestIn,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> SummaryRequestAccepted:
    """Consolidate the selected outgoing invoices of `issuer_id` into one summary invoice per
    receiving customer. The answer says how many invoices are added and which are skipped and
    why; a workflow (`summary-request-<request_id>`) then creates the summaries. Refused with
    409 when the issuer has not enabled `summary_invoices`."""
    principal.ensure_acts_for(body.issuer_id)
    accepted = await ctx.transaction(store.create_request, body, principal.name)
    if accepted.invoices_added:
        await start_summary_request(
            ctx.temporal,
            accepted,
            body.issuer_id,
            task_queue=ctx.settings.task_queue,
            tax=tax_sync_options(ctx.settings),
        )
    return accepted


@router.get("/summary-invoice-requests/{request_id}", response_model=SummaryRequestView)
async def get_summary_request(
    request_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> SummaryRequestView:
    """`status` and the administrator-facing `message`: "Invoices are being created. Please wait." until
    the summaries are committed, then "Invoice creation is complete. ..."."""
    view = await ctx.transaction(store.get_request, request_id)
    if principal.partner_id not in (None, view.issuer_id):
        # Another partner's request: as if it did not exist, like other partners' invoices.
        raise NotFound(f"No summary request with id {request_id!r}.")
    if view.status is SummaryRequestStatus.in_progress:
        # Recorded but perhaps never started (the API died in between): starting is idempotent.
        await start_summary_request(
            ctx.temporal,
            SummaryRequestAccepted(
                request_id=view.request_id,
                invoices_added=view.invoices_added,
                invoices_skipped=view.invoices_skipped,
            ),
            view.issuer_id,
            task_queue=ctx.settings.task_queue,
            tax=tax_sync_options(ctx.settings),
        )
    return view


@router.get("/summary-invoices", response_model=Page[SummaryInvoice])
async def list_summary_invoices(
    issuer_id: str | None = None,
    receiver_id: str | None = None,
    state: SummaryInvoiceState | None = None,
    cursor: PageCursor = Depends(page_cursor),
    limit: int | None = None,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Page[SummaryInvoice]:
    """A partner's token lists the summaries it issued or received."""
    page = await ctx.transaction(
        store.list_summary_invoices,
        issuer_id=issuer_id,
        receiver_id=receiver_id,
        state=state,
        visible_to=principal.visible_to,
        cursor=cursor.after,
        limit=limit,
    )
    return cursor.signed(page)


@router.get("/summary-invoices/{summary_invoice_id}", response_model=SummaryInvoice)
async def get_summary_invoice(
    summary_invoice_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> SummaryInvoice:
    return await ctx.transaction(
        store.get_summary_invoice, summary_invoice_id, visible_to=principal.visible_to
    )


@router.post(
    "/summary-invoices/{summary_invoice_id}/tax-sync/retry",
    status_code=202,
    response_model=SummaryInvoice,
)
async def retry_summary_tax_sync(
    summary_invoice_id: str,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> SummaryInvoice:
    """Retry the tax sync of a TaxFailed summary invoice (409 in any other state). The tax
    document keeps its code, so the retry adjusts it and never creates a second one."""
    if principal.partner_id is not None:
        # Its receiver sees it but may not retry it: refused before its state is told.
        seen = await ctx.transaction(
            store.get_summary_invoice, summary_invoice_id, visible_to=principal.visible_to
        )
        principal.ensure_acts_for(seen.issuer_id)
    summary = await ctx.transaction(tax_sync.ensure_retryable, summary_invoice_id)
    await retry_tax_sync(
        ctx.temporal,
        TaxSyncInput(
            summary_invoice_id=summary.id,
            invoice_code=summary.invoice_code,
            receiver_id=summary.receiver_id,
            options=tax_sync_options(ctx.settings),
        ),
        receiver_id=summary.receiver_id,
        task_queue=ctx.settings.task_queue,
    )
    return summary


@router.get(
    "/summary-invoices/{summary_invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def get_tax_invoice_pdf(
    summary_invoice_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """The tax invoice PDF once tax sync has completed (404 before): rendered on the first
    download, the same bytes on every download after it."""
    code, pdf = await ctx.transaction(
        tax_invoice_pdf, summary_invoice_id, visible_to=principal.visible_to
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="tax-invoice-{code}.pdf"'},
    )
