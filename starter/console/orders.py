"""Orders: provisioning per item, stuck orders and since when, the invoice each order made, a
link to its workflow in the Temporal UI, and an outcome recorded by hand (who and why)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from billing.contracts.orders import ManualOutcomeIn
from billing.errors import BillingError
from billing.vocabulary import OrderStatus, Outcome
from starter.api.context import AppContext, get_context
from starter.api.routes import orders as order_routes
from starter.console.api_calls import as_viewer
from starter.console.paging import console_cursor
from starter.console.problems import problem_page, validation_detail
from starter.console.session import PATH, Viewer, checked_form, viewer
from starter.console.templating import render
from workflows.order import workflow_id

router = APIRouter()


def temporal_ui_link(ctx: AppContext, order_number: str) -> str:
    settings = ctx.settings
    return (
        f"{settings.temporal_ui_url.rstrip('/')}/namespaces/{quote(settings.temporal_namespace)}"
        f"/workflows/{quote(workflow_id(order_number))}"
    )


@router.get("/orders")
async def show_orders(
    request: Request,
    status: str = "",
    cursor: str | None = None,
    notice: str | None = None,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    chosen = next((s for s in OrderStatus if s.value == status), None)
    try:
        page = await as_viewer(
            order_routes.list_orders,
            who,
            status=chosen,
            customer_id=None,
            issuer_id=None,
            # What an administrator looks for first: the orders that came in last.
            sort="-created_at",
            cursor=console_cursor(request, cursor, f"{PATH}/orders"),
            limit=25,
            ctx=ctx,
        )
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/orders")
    return render(
        request,
        "orders.html",
        who,
        page=page,
        status=chosen.value if chosen else "",
        statuses=list(OrderStatus),
        outcomes=list(Outcome),
        temporal_link=lambda number: temporal_ui_link(ctx, number),
        cursor=cursor,
        notice=notice,
    )


@router.post(
    "/orders/{order_number}/items/{item_id}/manual-outcome",
    dependencies=[Depends(checked_form)],
)
async def record_outcome_by_hand(
    request: Request,
    order_number: str,
    item_id: str,
    outcome: str = Form(""),
    reason: str = Form(""),
    operator: str = Form(""),
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    back = f"{PATH}/orders"
    try:
        body = ManualOutcomeIn.model_validate(
            {"outcome": outcome, "reason": reason.strip(), "operator": operator.strip()}
        )
    except ValidationError as error:
        return problem_page(
            request, who,
            "Say who records the outcome and why (a reason of at least 3 characters): "
            + validation_detail(error),
            title="Check the form", back=back, status_code=422,
        )  # fmt: skip
    try:
        await as_viewer(
            order_routes.record_outcome_by_hand,
            who,
            order_number=order_number,
            item_id=item_id,
            body=body,
            ctx=ctx,
        )
    except BillingError as error:
        return problem_page(request, who, error, back=back)
    return RedirectResponse(
        f"{back}?notice=recorded-{quote(order_number)}-{quote(item_id)}", status_code=303
    )
