"""Billing runs: month-end and billing-day consolidation runs, started here and watched live."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from billing.contracts.billing_runs import BillingRunIn, ConsolidationRunIn, RunAccepted
from billing.errors import BillingError
from billing.store.billing_runs import list_runs
from billing.vocabulary import RunStatus
from starter.api.context import AppContext, get_context
from starter.api.routes import billing_runs as run_routes
from starter.console.problems import problem_page, validation_detail
from starter.console.session import PATH, Viewer, admin_viewer, checked_form
from starter.console.templating import render

router = APIRouter()
BACK = f"{PATH}/runs"
T = TypeVar("T")


async def _start(
    request: Request,
    who: Viewer,
    body: Callable[[], T],
    start: Callable[[T], Awaitable[RunAccepted]],
    *,
    hint: str,
) -> Response:
    """Start a run from a form through the API's own handler, then watch it."""
    try:
        request_body = body()
    except ValidationError as error:
        return problem_page(
            request, who, hint + validation_detail(error), title="Check the form", back=BACK,
            status_code=422,
        )  # fmt: skip
    try:
        accepted = await start(request_body)
    except BillingError as error:
        return problem_page(request, who, error, back=BACK)
    return RedirectResponse(f"{BACK}/{accepted.run_id}", status_code=303)


@router.get("/runs")
async def show_billing_runs(
    request: Request, who: Viewer = Depends(admin_viewer), ctx: AppContext = Depends(get_context)
) -> Response:
    runs = await ctx.transaction(list_runs, issuer_id=who.partner_id)
    return render(
        request,
        "runs.html",
        who,
        runs=runs,
        this_month=date.today().strftime("%Y-%m"),  # noqa: DTZ011 - a default for a form
        today=date.today().isoformat(),  # noqa: DTZ011
        running=RunStatus.running,
    )


async def _run(ctx: AppContext, run_id: str) -> object:
    if run_id.startswith("consolidation-"):
        return await run_routes.get_consolidation_run(run_id, ctx)
    return await run_routes.get_billing_run(run_id, ctx)


@router.get("/runs/{run_id}")
async def show_billing_run(
    request: Request,
    run_id: str,
    fragment: bool = False,
    who: Viewer = Depends(admin_viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """One run with its progress; `fragment=true` is the live part the page polls."""
    try:
        run = await _run(ctx, run_id)
    except BillingError as error:
        return problem_page(request, who, error, back=BACK)
    name = "run_progress.html" if fragment else "run.html"
    return render(request, name, who, run=run, running=RunStatus.running)


@router.post("/runs/month-end", dependencies=[Depends(checked_form)])
async def start_month_end_run(
    request: Request,
    issuer_id: str = Form(""),
    period: str = Form(""),
    who: Viewer = Depends(admin_viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    return await _start(
        request,
        who,
        lambda: BillingRunIn(issuer_id=issuer_id.strip() or (who.partner_id or ""), period=period),
        lambda body: run_routes.create_billing_run(body, ctx),
        hint="Give the issuer's id and the month as YYYY-MM: ",
    )


@router.post("/runs/consolidation", dependencies=[Depends(checked_form)])
async def start_consolidation_run(
    request: Request,
    as_of: str = Form(""),
    who: Viewer = Depends(admin_viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    return await _start(
        request,
        who,
        lambda: ConsolidationRunIn.model_validate({"as_of": as_of}),
        lambda body: run_routes.create_consolidation_run(body, ctx),
        hint="Pick the day the run stands on: ",
    )
