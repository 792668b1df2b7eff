"""Reporting: invoices, outgoing billing lines and subscriptions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from billing.contracts.common import Page
from billing.contracts.invoices import BillingLine, Invoice, Subscription, SubscriptionChange
from billing.store import billings, invoices, subscriptions
from billing.store.billings import BillingSort
from billing.store.invoice_pdfs import invoice_pdf
from billing.vocabulary import InvoiceType
from starter.api.auth import Principal, authenticate, require_admin
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["invoicing"])
# Subscriptions are not scoped by partner yet: the administrator's.
_admin = [Depends(require_admin)]


@router.get("/invoices", response_model=Page[Invoice])
async def list_invoices(
    order_number: str | None = None,
    issuer_id: str | None = None,
    receiver_id: str | None = None,
    type: InvoiceType | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    principal: Principal = Depends(authenticate),
    ctx: AppContext = Depends(get_context),
) -> Page[Invoice]:
    """Outgoing (`issuer_id`) and incoming (`receiver_id`) invoices, summary invoices included.
    A partner's token sees only invoices it issued or received."""
    return await ctx.transaction(
        invoices.list_invoices,
        order_number=order_number,
        issuer_id=issuer_id,
        receiver_id=receiver_id,
        type=type.value if type else None,
        visible_to=principal.visible_to,
        cursor=cursor,
        limit=limit,
    )


@router.get("/invoices/{invoice_id}", response_model=Invoice)
async def get_invoice(
    invoice_id: str,
    principal: Principal = Depends(authenticate),
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
    principal: Principal = Depends(authenticate),
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
    cursor: str | None = None,
    limit: int | None = None,
    principal: Principal = Depends(authenticate),
    ctx: AppContext = Depends(get_context),
) -> Page[BillingLine]:
    """Outgoing billing lines. `q` searches order numbers (substring, any case);
    `sort=order_number` or `-order_number` sorts by them. A partner's token sees its own."""
    if principal.partner_id is not None:
        principal.ensure_acts_for(issuer_id or principal.partner_id)
        issuer_id = principal.partner_id
    return await ctx.transaction(
        billings.list_billing_lines,
        issuer_id=issuer_id,
        q=q,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


@router.get("/subscriptions", response_model=Page[Subscription], dependencies=_admin)
async def list_subscriptions(
    customer_id: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    ctx: AppContext = Depends(get_context),
) -> Page[Subscription]:
    return await ctx.transaction(
        subscriptions.list_subscriptions, customer_id=customer_id, cursor=cursor, limit=limit
    )


@router.get("/subscriptions/{subscription_id}", response_model=Subscription, dependencies=_admin)
async def get_subscription(
    subscription_id: str, ctx: AppContext = Depends(get_context)
) -> Subscription:
    return await ctx.transaction(subscriptions.get_subscription, subscription_id)


@router.patch("/subscriptions/{subscription_id}", response_model=Subscription, dependencies=_admin)
async def change_subscription(
    subscription_id: str, body: SubscriptionChange, ctx: AppContext = Depends(get_context)
) -> Subscription:
    """Change quantity, end date (`ends_at`) or grouping fields. Perpetual one-time subscriptions
    refuse quantity and end-date changes (409): place a new order."""
    return await ctx.transaction(subscriptions.change_subscription, subscription_id, body)
