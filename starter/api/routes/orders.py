"""Orders: submission, provisioning outcomes (from order systems and, by hand, from operators).
A partner's token (scope `orders` to change anything) submits orders as their issuer and sees and
reports on the orders it issued; any other order reads as not found."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query, Response

from billing.contracts.common import Page
from billing.contracts.orders import (
    ManualOutcomeIn,
    ManualPaymentIn,
    Order,
    OrderBatchIn,
    OrderIn,
    ProvisioningBatchIn,
    ProvisioningIn,
    SubmittedOrders,
)
from billing.store import order_payments
from billing.store import orders as store
from billing.store.orders import OrderSort
from billing.temporal.order_workflows import (
    deliver_outcome,
    deliver_outcomes,
    ensure_order_workflow,
)
from billing.vocabulary import OrderStatus
from starter.api.auth import Principal, can_order, can_read
from starter.api.context import AppContext, get_context
from starter.api.cursors import PageCursor, page_cursor

router = APIRouter(prefix="/v1/orders", tags=["orders"])


async def _start_workflow(ctx: AppContext, order: Order) -> None:
    """A submitted order's workflow, started unless it runs already (a retried submission also
    starts what an earlier attempt recorded but did not get to start)."""
    await ensure_order_workflow(
        ctx.temporal,
        order,
        task_queue=ctx.settings.task_queue,
        stuck_after=ctx.settings.order_stuck_after,
        until_first_outcome=True,
    )


@router.post("", status_code=202, response_model=Order)
async def submit_order(
    body: OrderIn,
    response: Response,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> Order:
    """Record the order and start its workflow. Submitting the same body again returns the
    recorded order (header `Idempotent-Replayed: true`); a different body under the same order
    number is refused with 409. A partner's token submits only as the order's issuer."""
    principal.ensure_acts_for(body.issuer_id)
    order, created = await ctx.transaction(store.create_order, body)
    await _start_workflow(ctx, order)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return order


@router.post("/batch", status_code=202, response_model=SubmittedOrders)
async def submit_orders(
    body: OrderBatchIn,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> SubmittedOrders:
    """Record several orders at once, all or none (a refused order refuses the batch and names
    itself), and start their workflows. Each order follows the single submission's rules: the
    same body again is listed in `replayed`, a different body under a recorded number is 409."""
    for order in body.orders:
        principal.ensure_acts_for(order.issuer_id)
    submitted = await ctx.transaction(store.create_orders, body.orders)
    await asyncio.gather(*(_start_workflow(ctx, order) for order, _created in submitted))
    return SubmittedOrders(
        orders=[order for order, _ in submitted],
        replayed=[order.order_number for order, created in submitted if not created],
    )


@router.get("", response_model=Page[Order])
async def list_orders(
    status: OrderStatus | None = Query(None, description="`stuck` lists orders waiting too long."),
    customer_id: str | None = None,
    issuer_id: str | None = None,
    sort: OrderSort = Query(
        "created_at", description="`created_at`: oldest first; `-created_at`: newest first."
    ),
    cursor: PageCursor = Depends(page_cursor),
    limit: int | None = None,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Page[Order]:
    cursor = cursor.sorted_by(sort)
    page = await ctx.transaction(
        store.list_orders,
        status=status,
        customer_id=customer_id,
        issuer_id=issuer_id,
        visible_to=principal.visible_to,
        sort=sort,
        cursor=cursor.after,
        limit=limit,
    )
    return cursor.signed(page)


@router.get("/{order_number}", response_model=Order)
async def get_order(
    order_number: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Order:
    return await ctx.transaction(store.get_order, order_number, visible_to=principal.visible_to)


async def _ensure_issued_by(ctx: AppContext, principal: Principal, order_number: str) -> None:
    """Only the order's issuer acts on it; to anyone else it does not exist (404)."""
    if principal.partner_id is not None:
        await ctx.transaction(store.get_order, order_number, visible_to=principal.visible_to)


async def _record(
    ctx: AppContext, principal: Principal, order_number: str, item_id: str, body: ProvisioningIn
) -> Order:
    await _ensure_issued_by(ctx, principal, order_number)
    order, _changed = await ctx.transaction(store.record_outcome, order_number, item_id, body)
    # Signal even when nothing changed: a retried report also re-delivers a lost signal.
    await deliver_outcome(
        ctx.temporal,
        order,
        item_id,
        body.outcome,
        task_queue=ctx.settings.task_queue,
        stuck_after=ctx.settings.order_stuck_after,
    )
    return order


@router.post("/{order_number}/items/{item_id}/provisioning", response_model=Order)
async def report_provisioning(
    order_number: str,
    item_id: str,
    body: ProvisioningIn,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> Order:
    """The order system reports an item's outcome. The same outcome again is accepted and changes
    nothing; a different outcome for an item already reported is refused with 409."""
    return await _record(ctx, principal, order_number, item_id, body)


@router.post("/{order_number}/provisioning", response_model=Order)
async def report_provisioning_outcomes(
    order_number: str,
    body: ProvisioningBatchIn,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> Order:
    """The order system reports several items' outcomes at once: recorded together (a refused
    item refuses the whole report, nothing recorded) and the order's workflow woken once. Each
    item follows the single-item report's rules: the same outcome again changes nothing."""
    await _ensure_issued_by(ctx, principal, order_number)
    reports = {item.item_id: item for item in body.items}
    order, _changed = await ctx.transaction(store.record_outcomes, order_number, reports)
    # Signal even when nothing changed: a retried report also re-delivers a lost signal.
    await deliver_outcomes(
        ctx.temporal,
        order,
        {item_id: item.outcome for item_id, item in reports.items()},
        task_queue=ctx.settings.task_queue,
        stuck_after=ctx.settings.order_stuck_after,
    )
    return order


@router.post("/{order_number}/items/{item_id}/manual-outcome", response_model=Order)
async def record_outcome_by_hand(
    order_number: str,
    item_id: str,
    body: ManualOutcomeIn,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> Order:
    """An operator records the outcome of a pending item (of a stuck order, typically). The
    operator and the reason are kept on the item and in the audit log."""
    return await _record(ctx, principal, order_number, item_id, body)


@router.post("/{order_number}/manual-payment", response_model=Order)
async def record_manual_payment(
    order_number: str,
    body: ManualPaymentIn,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> Order:
    """Record that an order was paid by hand (audited). Billing-day consolidation leaves orders
    paid before the billing day out of the consolidated invoice. Paying twice is refused (409)."""
    await _ensure_issued_by(ctx, principal, order_number)
    return await ctx.transaction(order_payments.record_manual_payment, order_number, body)
