"""The figures operators watch, read from the database at scrape time: exact after any crash,
because they are the rows themselves rather than counters kept in a process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from billing.schema import billing_runs, invoices, orders, summary_invoices, webhook_events
from billing.store.orders import WAITING, status_among
from billing.vocabulary import OrderStatus, RunStatus


@dataclass(frozen=True)
class OperationsFigures:
    orders_waiting: int
    orders_stuck: int
    oldest_stuck_seconds: float
    invoices_by_type: dict[str, int]
    summaries_by_state: dict[str, int]
    runs_by_status: dict[str, int]
    running_customers_done: int
    running_customers_total: int
    oldest_running_run_seconds: float
    webhook_events_by_status: dict[str, int] = field(default_factory=dict)


def _counts(conn: Connection, column: ColumnElement[Any]) -> dict[str, int]:
    return {
        str(key): int(count)
        for key, count in conn.execute(select(column, func.count()).group_by(column)).all()
    }


def operations_figures(conn: Connection) -> OperationsFigures:
    waiting, stuck, oldest_stuck = conn.execute(
        select(
            func.count().filter(orders.c.status == OrderStatus.awaiting_provisioning.value),
            func.count().filter(orders.c.status == OrderStatus.stuck.value),
            func.coalesce(
                func.extract(
                    "epoch",
                    func.now()
                    - func.min(orders.c.stuck_since).filter(
                        orders.c.status == OrderStatus.stuck.value
                    ),
                ),
                0,
            ),
        ).where(status_among(WAITING))  # the waiting orders' index, not every order
    ).one()
    running = billing_runs.c.status == RunStatus.running.value
    done, total, oldest_run = conn.execute(
        select(
            func.coalesce(func.sum(billing_runs.c.customers_done).filter(running), 0),
            func.coalesce(func.sum(billing_runs.c.customers_total).filter(running), 0),
            func.coalesce(
                func.extract(
                    "epoch", func.now() - func.min(billing_runs.c.started_at).filter(running)
                ),
                0,
            ),
        )
    ).one()
    return OperationsFigures(
        orders_waiting=int(waiting),
        orders_stuck=int(stuck),
        oldest_stuck_seconds=float(oldest_stuck),
        invoices_by_type=_counts(conn, invoices.c.type),
        summaries_by_state=_counts(conn, summary_invoices.c.state),
        runs_by_status=_counts(conn, billing_runs.c.status),
        running_customers_done=int(done),
        running_customers_total=int(total),
        oldest_running_run_seconds=float(oldest_run),
        webhook_events_by_status=_counts(conn, webhook_events.c.status),
    )
