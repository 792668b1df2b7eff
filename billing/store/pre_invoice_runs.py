"""The record of each pre-invoice generation: its number among the issuer's generations as of
a day, its status and counters (updated in the transaction of the page they count), and the
issuer's generations newest first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.exc import IntegrityError

from billing.contracts.common import Page
from billing.contracts.pre_invoices import PreInvoiceRun, PreInvoiceRunResult
from billing.errors import Conflict, NotFound
from billing.schema import partners, pre_invoice_runs
from billing.store.pagination import keyset_page
from billing.store.partners_exist import ensure_issuer
from billing.store.visibility import seen_by
from billing.vocabulary import RunStatus


def run_id(issuer_id: str, as_of: date, n: int) -> str:
    return f"pre-invoice-run-{issuer_id}-{as_of.isoformat()}-{n}"


def ensure_delta_issuer(conn: Connection, issuer_id: str) -> None:
    ensure_issuer(conn, issuer_id)
    enabled = conn.scalar(
        select(partners.c.delta_invoicing_enabled_at).where(partners.c.id == issuer_id)
    )
    if enabled is None:
        raise Conflict(
            f"{issuer_id!r} does not use delta invoicing, so it has no pre-invoices to generate; "
            f"switch it on with POST /v1/partners/{issuer_id}/delta-invoicing."
        )


def reserve_run(
    conn: Connection, issuer_id: str, as_of: date, *, requested_by: str | None = None
) -> str:
    """Record the next generation of the issuer as of the day: `...-<as_of>-<n>`. Two callers
    at once take different numbers (the unique (issuer, as_of, n) decides). A workflow asking
    again (`requested_by`: a retried activity) gets the run it reserved before."""
    ensure_delta_issuer(conn, issuer_id)
    if requested_by is not None:
        reserved = conn.scalar(
            select(pre_invoice_runs.c.run_id).where(
                pre_invoice_runs.c.requested_by == requested_by,
                pre_invoice_runs.c.issuer_id == issuer_id,
            )
        )
        if reserved is not None:
            return str(reserved)
    for _ in range(5):
        n = conn.execute(
            text(
                "select coalesce(max(n), 0) + 1 from pre_invoice_runs "
                "where issuer_id = :issuer and as_of = :as_of"
            ),
            {"issuer": issuer_id, "as_of": as_of},
        ).scalar_one()
        try:
            with conn.begin_nested():
                conn.execute(
                    pre_invoice_runs.insert().values(
                        run_id=run_id(issuer_id, as_of, n),
                        issuer_id=issuer_id,
                        as_of=as_of,
                        n=n,
                        requested_by=requested_by,
                    )
                )
        except IntegrityError:
            continue
        return run_id(issuer_id, as_of, n)
    raise Conflict(f"Too many generations of {issuer_id!r} start at once; try again.")


def start_run(conn: Connection, run: str, receivers_total: int) -> None:
    conn.execute(
        update(pre_invoice_runs)
        .where(pre_invoice_runs.c.run_id == run)
        .values(receivers_total=receivers_total)
    )


def finish_run(conn: Connection, run: str) -> PreInvoiceRunResult:
    row = (
        conn.execute(
            update(pre_invoice_runs)
            .where(pre_invoice_runs.c.run_id == run)
            .values(
                status=RunStatus.completed.value,
                finished_at=func.coalesce(pre_invoice_runs.c.finished_at, func.now()),
            )
            .returning(pre_invoice_runs)
        )
        .mappings()
        .one()
    )
    return PreInvoiceRunResult(
        run_id=run,
        status=RunStatus.completed,
        receivers_total=row["receivers_total"],
        pre_invoices_created=row["pre_invoices_created"],
        lines_written=row["lines_written"],
    )


def get_run(conn: Connection, run: str, *, visible_to: str | None = None) -> PreInvoiceRun:
    query = select(pre_invoice_runs).where(pre_invoice_runs.c.run_id == run)
    if visible_to is not None:
        query = query.where(pre_invoice_runs.c.issuer_id == visible_to)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No pre-invoice run with id {run!r}.")
    return _shown(row)


def list_runs(
    conn: Connection,
    *,
    issuer_id: str | None = None,
    statuses: Collection[RunStatus] | None = None,
    visible_to: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[PreInvoiceRun]:
    """Generations newest first (started_at, then run_id, descending). A generation is its
    issuer's alone: a partner's token lists only its own, whatever `issuer_id` asks for, so
    another issuer's id reads exactly like one that does not exist (an empty page)."""
    query = seen_by(select(pre_invoice_runs), visible_to, pre_invoice_runs.c.issuer_id)
    if issuer_id is not None:
        query = query.where(pre_invoice_runs.c.issuer_id == issuer_id)
    if statuses is not None:
        query = query.where(pre_invoice_runs.c.status.in_([s.value for s in statuses]))
    rows, next_cursor = keyset_page(
        conn,
        query,
        order=[pre_invoice_runs.c.started_at, pre_invoice_runs.c.run_id],
        descending=True,
        cursor=cursor,
        limit=limit,
    )
    return Page[PreInvoiceRun](items=[_shown(row) for row in rows], next_cursor=next_cursor)


def _shown(row: Any) -> PreInvoiceRun:
    return PreInvoiceRun.model_validate({name: row[name] for name in PreInvoiceRun.model_fields})


def delta_issuers(conn: Connection, *, after: str | None, limit: int) -> list[str]:
    return list(
        conn.execute(
            select(partners.c.id)
            .where(
                partners.c.delta_invoicing_enabled_at.is_not(None),
                partners.c.id > (after or ""),
            )
            .order_by(partners.c.id)
            .limit(limit)
        ).scalars()
    )
