"""Month-end billing runs and billing-day consolidation runs, started by hand (the schedules
start them too) and watched while they work."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends

from billing.contracts.billing_runs import (
    BillingRun,
    BillingRunIn,
    ConsolidationRunIn,
    RunAccepted,
)
from billing.errors import InvalidRequest, NotFound
from billing.periods import billable_period, consolidation_day
from billing.store import billing_runs as store
from billing.store.reference_data import get_partner
from billing.temporal.billing_runs import (
    start_billing_run,
    start_consolidation_run,
    temporal_status,
)
from billing.vocabulary import PartnerLevel, RunKind, RunStatus
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["billing runs"])


@router.post("/billing-runs", status_code=202, response_model=RunAccepted)
async def create_billing_run(
    body: BillingRunIn, ctx: AppContext = Depends(get_context)
) -> RunAccepted:
    """Invoice every uninvoiced monthly line of the issuer's period (`billing-run-<issuer>-<period>`).
    The period is a month that has ended, or the current month (billed early); any other is
    refused with 422. A run already going is returned as it is; a finished one runs again and
    invoices only what is new (nothing, for a period already run)."""
    billable_period(body.period, datetime.now(UTC).date())
    issuer = await ctx.transaction(get_partner, body.issuer_id)
    if issuer.level is PartnerLevel.customer:
        raise InvalidRequest(f"{body.issuer_id!r} is a customer and issues no invoices.")
    started = await start_billing_run(
        ctx.temporal, body.issuer_id, body.period, task_queue=ctx.settings.task_queue
    )
    return RunAccepted(run_id=started)


@router.get("/billing-runs/{run_id}", response_model=BillingRun)
async def get_billing_run(run_id: str, ctx: AppContext = Depends(get_context)) -> BillingRun:
    return await _run(ctx, run_id, RunKind.month_end)


@router.post("/consolidation-runs", status_code=202, response_model=RunAccepted)
async def create_consolidation_run(
    body: ConsolidationRunIn, ctx: AppContext = Depends(get_context)
) -> RunAccepted:
    """Make the renewal orders due by `as_of` and the consolidated invoices of customers whose
    billing day is M days later (`consolidation-<as_of>`). A past day is a backfill; a future
    day is refused with 422."""
    consolidation_day(body.as_of, datetime.now(UTC).date())
    started = await start_consolidation_run(
        ctx.temporal, body.as_of, task_queue=ctx.settings.task_queue
    )
    return RunAccepted(run_id=started)


@router.get("/consolidation-runs/{run_id}", response_model=BillingRun)
async def get_consolidation_run(run_id: str, ctx: AppContext = Depends(get_context)) -> BillingRun:
    return await _run(ctx, run_id, RunKind.consolidation)


_PREFIX = {RunKind.month_end: "billing-run-", RunKind.consolidation: "consolidation-"}


async def _run(ctx: AppContext, run_id: str, kind: RunKind) -> BillingRun:
    if not run_id.startswith(_PREFIX[kind]):
        other = next(k for k, prefix in _PREFIX.items() if k is not kind)
        hint = (
            f" (it looks like a {other.value.replace('_', '-')} run)"
            if run_id.startswith(_PREFIX[other])
            else ""
        )
        raise NotFound(f"No {kind.value.replace('_', '-')} run with id {run_id!r}{hint}.")
    try:
        run = await ctx.transaction(store.get_run, run_id)
    except NotFound:
        # Started, but its first activity has not recorded it yet.
        if await temporal_status(ctx.temporal, run_id) is None:
            raise
        return _just_started(run_id, kind)
    if run.status is RunStatus.running:
        status = await temporal_status(ctx.temporal, run_id)
        if status is RunStatus.failed:
            run = run.model_copy(update={"status": status})
    return run


def _just_started(run_id: str, kind: RunKind) -> BillingRun:
    return BillingRun(
        run_id=run_id,
        kind=kind,
        issuer_id=None,
        period="",
        status=RunStatus.running,
        customers_total=0,
        customers_done=0,
        invoices_created=0,
        lines_invoiced=0,
        renewal_orders_created=0,
        started_at=datetime.now(UTC),
        finished_at=None,
    )
