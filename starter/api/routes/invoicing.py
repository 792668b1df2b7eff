"""Reporting: invoices, billing lines and subscriptions. A partner's token sees those it issued
and those it received; any other reads as not found."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from billing.contracts.common import Page
from billing.contracts.invoices import (
    BillingLine,
    Invoice,
    Subscription,
    SubscriptionCancel,
    SubscriptionChange,
)
from billing.store import billings, invoices, subscriptions
from billing.store.billings import BillingSort
from billing.store.invoice_pdfs import invoice_pdf
from billing.vocabulary import InvoiceType
from starter.api.auth import Principal, can_read, require_admin
from starter.api.context import AppContext, get_context
from starter.api.cursors import PageCursor, page_cursor

router = APIRouter(prefix="/v1", tags=["invoicing"])
_admin = [Depends(require_admin)]


@router.get("/invoices", response_model=Page[Invoice])
async def list_invoices(
    order_number: str | None = None,
    issuer_id: str | None = None,
    receiver_id: str | None = None,
    type: InvoiceType | None = None,
    cursor: PageCursor = Depends(page_cursor),
    limit: int | None = None,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Page[Invoice]:
    """Outgoing (`issuer_id`) and incoming (`receiver_id`) invoices, summary invoices included.
    A partner's token sees only invoices it issued or received."""
    page = await ctx.transaction(
        invoices.list_invoices,
        order_number=order_number,
        issuer_id=issuer_id,
        receiver_id=receiver_id,
        type=type.value if type else None,
        visible_to=principal.visible_to,
        cursor=cursor.after,
        limit=limit,
    )
    return cursor.signed(page)


@router.get("/invoices/{invoice_id}", response_model=Invoice)
async def get_invoice(
    invoice_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Invoice:
    return await ctx.transaction(invoices.get_invoice, invoice_id, visible_to=principal.visible_to)


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def get_invoice_pdf(
    invoice_id: str,
    download: bool = False,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """Any invoice as PDF: issuer and receiver with address and tax id, dates, payment term,
    lines with their tax rate, tax per rate and totals. A summary invoice's is its tax invoice
    (404 until tax sync completes). `download=true` asks the browser to save it."""
    filename, pdf = await ctx.transaction(invoice_pdf, invoice_id, visible_to=principal.visible_to)
    disposition = "attachment" if download else "inline"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


@router.get("/billings", response_model=Page[BillingLine])
async def list_billings(
    issuer_id: str | None = None,
    q: str | None = None,
    sort: BillingSort = "created_at",
    cursor: PageCursor = Depends(page_cursor),
    limit: int | None = None,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Page[BillingLine]:
    """Billing lines. `q` searches order numbers (substring, any case); `sort=order_number` or
    `-order_number` sorts by them. A partner's token sees the lines it bills and those billed
    to it."""
    cursor = cursor.sorted_by(sort)
    page = await ctx.transaction(
        billings.list_billing_lines,
        issuer_id=issuer_id,
        visible_to=principal.visible_to,
        q=q,
        sort=sort,
        cursor=cursor.after,
        limit=limit,
    )
    return cursor.signed(page)


@router.get("/subscriptions", response_model=Page[Subscription])
async def list_subscriptions(
    customer_id: str | None = None,
    cursor: PageCursor = Depends(page_cursor),
    limit: int | None = None,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Page[Subscription]:
    """Subscriptions; a partner's token sees those it sold and those it holds."""
    page = await ctx.transaction(
        subscriptions.list_subscriptions,
        customer_id=customer_id,
        visible_to=principal.visible_to,
        cursor=cursor.after,
        limit=limit,
    )
    return cursor.signed(page)


@router.get("/subscriptions/{subscription_id}", response_model=Subscription)
async def get_subscription(
    subscription_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Subscription:
    return await ctx.transaction(
        subscriptions.get_subscription, subscription_id, visible_to=principal.visible_to
    )


@router.patch("/subscriptions/{subscription_id}", response_model=Subscription, dependencies=_admin)
async def change_subscription(
    subscription_id: str, body: SubscriptionChange, ctx: AppContext = Depends(get_context)
) -> Subscription:
    """Change quantity, end date (`ends_at`) or grouping fields. Perpetual one-time subscriptions
    refuse quantity and end-date changes (409): place a new order. With delta invoicing,
    `unit_price` and `starts_at` change too and the next pre-invoice generation bills the
    difference; without it they are refused (409: place an upgrade order). The answer's
    `billing_effect` says when and how the change reaches the bill."""
    return await ctx.transaction(subscriptions.change_subscription, subscription_id, body)


@router.post(
    "/subscriptions/{subscription_id}/cancel", response_model=Subscription, dependencies=_admin
)
async def cancel_subscription(
    subscription_id: str, body: SubscriptionCancel, ctx: AppContext = Depends(get_context)
) -> Subscription:
    """End a subscription at `effective_at`. With delta invoicing the next generation credits
    the months after it in full (and its month by day); `billing_effect` says so."""
    return await ctx.transaction(subscriptions.cancel_subscription, subscription_id, body)
