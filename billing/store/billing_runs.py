"""The record of each month-end or consolidation run: status and counters, updated in the same
transaction as the page of work they count, so they are exact after a crash and a resume."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.billing_runs import BillingRun, RunResult, RunStartInput
from billing.errors import NotFound
from billing.schema import billing_runs
from billing.store.webhooks import record_event
from billing.vocabulary import RunStatus
from billing.webhook_events import WebhookEventType

_COUNTERS = {
    "customers_total": 0,
    "customers_done": 0,
    "invoices_created": 0,
    "lines_invoiced": 0,
    "renewal_orders_created": 0,
}


def start_run(conn: Connection, run: RunStartInput, *, customers_total: int | None = None) -> None:
    """Record the run. The same execution again (a retried activity) changes nothing; a new
    execution under the same run id (a rerun of the period) starts its counters from zero."""
    values = {
        "kind": run.kind.value,
        "issuer_id": run.issuer_id,
        "period": run.period,
        "execution_id": run.execution_id,
        "status": RunStatus.running.value,
    }
    stmt = insert(billing_runs).values(run_id=run.run_id, **values, **_COUNTERS)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[billing_runs.c.run_id],
            set_={
                **values,
                **_COUNTERS,
                "started_at": func.now(),
                "finished_at": None,
                "round": billing_runs.c.round + 1,
            },
            where=billing_runs.c.execution_id != stmt.excluded.execution_id,
        )
    )
    if customers_total is not None:
        conn.execute(
            update(billing_runs)
            .where(billing_runs.c.run_id == run.run_id)
            .values(customers_total=customers_total)
        )


def run_round(conn: Connection, run_id: str) -> int:
    """Which execution of its run id this is (1 for the first): the round its invoices carry."""
    found: int | None = conn.scalar(
        select(billing_runs.c.round).where(billing_runs.c.run_id == run_id)
    )
    return found or 1


def finish_run(conn: Connection, run_id: str) -> RunResult:
    was = conn.scalar(
        select(billing_runs.c.status).where(billing_runs.c.run_id == run_id).with_for_update()
    )
    row = (
        conn.execute(
            update(billing_runs)
            .where(billing_runs.c.run_id == run_id)
            .values(
                status=RunStatus.completed.value,
                finished_at=func.coalesce(billing_runs.c.finished_at, func.now()),
            )
            .returning(billing_runs)
        )
        .mappings()
        .one()
    )
    if was != RunStatus.completed and row["issuer_id"] is not None:
        # Consolidation runs span issuers and have none to tell.
        record_event(
            conn,
            row["issuer_id"],
            WebhookEventType.billing_run_completed,
            f"{run_id}:{row['execution_id']}",
            {
                "run_id": run_id,
                "kind": row["kind"],
                "period": row["period"],
                "customers_done": row["customers_done"],
                "invoices_created": row["invoices_created"],
                "lines_invoiced": row["lines_invoiced"],
            },
        )
    return RunResult(
        run_id=run_id,
        status=RunStatus.completed,
        invoices_created=row["invoices_created"],
        lines_invoiced=row["lines_invoiced"],
        renewal_orders_created=row["renewal_orders_created"],
    )


def get_run(conn: Connection, run_id: str) -> BillingRun:
    row = (
        conn.execute(select(billing_runs).where(billing_runs.c.run_id == run_id)).mappings().first()
    )
    if row is None:
        raise NotFound(f"No billing or consolidation run with id {run_id!r}.")
    return BillingRun.model_validate(dict(row))


def mark_failed(conn: Connection, run_id: str) -> None:
    conn.execute(
        update(billing_runs)
        .where(billing_runs.c.run_id == run_id, billing_runs.c.status == RunStatus.running.value)
        .values(status=RunStatus.failed.value, finished_at=func.now())
    )


def list_runs(
    conn: Connection, *, issuer_id: str | None = None, limit: int = 20
) -> list[BillingRun]:
    """The most recent runs first (month-end runs of `issuer_id` only, when given)."""
    query = select(billing_runs).order_by(billing_runs.c.started_at.desc()).limit(limit)
    if issuer_id is not None:
        query = query.where(billing_runs.c.issuer_id == issuer_id)
    return [BillingRun.model_validate(dict(row)) for row in conn.execute(query).mappings()]
