"""Accounting periods of delta invoicing: per legal entity, with the open pre-invoices assigned
to each; closing one for invoicing goes through the API's own handler, so its refusal (open
pre-invoices still assigned) is the API's, word for word."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from billing.contracts.accounting import AccountingPeriod, AccountingPeriodIn, LegalEntity
from billing.errors import BillingError
from billing.store.accounting_periods import assigned_pre_invoices
from starter.api.context import AppContext, get_context
from starter.api.routes import accounting
from starter.console.api_calls import as_viewer
from starter.console.problems import problem_page
from starter.console.session import PATH, Viewer, checked_form, viewer
from starter.console.templating import render

router = APIRouter()
BACK = f"{PATH}/accounting-periods"


def _open_pre_invoices(
    conn: Connection, periods: list[AccountingPeriod]
) -> dict[str, list[tuple[str, str]]]:
    """Per period: (number, id) of the open pre-invoices assigned to it."""
    return {p.id: assigned_pre_invoices(conn, p.id, open_only=True) for p in periods}


@router.get("/accounting-periods")
async def show_accounting_periods(
    request: Request,
    notice: str | None = None,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    try:
        page = await as_viewer(
            accounting.list_accounting_periods, who, issuer_id=who.partner_id, ctx=ctx
        )
        entities: list[tuple[LegalEntity, list[AccountingPeriod]]] = []
        for entity_id, periods in groupby(page.items, key=lambda p: p.legal_entity_id):
            entity = await as_viewer(accounting.get_legal_entity, who, entity_id=entity_id, ctx=ctx)
            entities.append((entity, list(periods)))
    except BillingError as error:
        return problem_page(request, who, error, back=f"{PATH}/billings")
    open_ones = await ctx.transaction(_open_pre_invoices, page.items)
    return render(
        request,
        "accounting_periods.html",
        who,
        entities=entities,
        open_pre_invoices=open_ones,
        notice=notice,
    )


@router.post("/accounting-periods/{period_id}/close", dependencies=[Depends(checked_form)])
async def close_accounting_period(
    request: Request,
    period_id: str,
    who: Viewer = Depends(viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """Close the period for invoicing by putting it back with `invoicing_closed` set."""
    try:
        period = await as_viewer(
            accounting.get_accounting_period, who, period_id=period_id, ctx=ctx
        )
        body = AccountingPeriodIn.model_validate(
            {**period.model_dump(exclude={"id"}), "invoicing_closed": True}
        )
        await as_viewer(
            accounting.put_accounting_period, who, period_id=period_id, body=body, ctx=ctx
        )
    except BillingError as error:
        return problem_page(
            request, who, error, back=BACK, title=f"Accounting period {period_id} stays open"
        )
    return RedirectResponse(f"{BACK}?notice=closed-{period_id}", status_code=303)
