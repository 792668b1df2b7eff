"""What must hold after the faults, read from the database alone, and the figures printed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from billing.schema import (
    billing_lines,
    billing_runs,
    invoice_number_sequences,
    invoices,
    order_items,
    orders,
    summary_invoice_lines,
    summary_invoice_totals,
    summary_invoices,
    tax_documents,
    webhook_events,
)


@dataclass
class Findings:
    orders_checked: int = 0
    orders_without_invoice_by_design: int = 0
    invoices_checked: int = 0
    lost: int = 0
    doubled: int = 0
    lines_checked: int = 0
    summaries_checked: int = 0
    runs_checked: int = 0
    webhook_events_checked: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)


def check_orders(
    conn: Connection, issuer_id: str, expected: dict[str, set[str]], found: Findings
) -> None:
    """`expected` maps each order number to the items billed per order (empty: all failed, so
    the documented outcome is a completed order with no invoice)."""
    per_order = Counter(
        row.order_number
        for row in conn.execute(
            select(invoices.c.order_number).where(
                invoices.c.issuer_id == issuer_id, invoices.c.type == "per_order"
            )
        )
    )
    status = dict(
        conn.execute(
            select(orders.c.order_number, orders.c.status).where(orders.c.issuer_id == issuer_id)
        ).all()
    )
    for number, items in expected.items():
        found.orders_checked += 1
        if status.get(number) != "completed":
            found.lost += 1
            found.problem(f"order {number} is {status.get(number)!r}, not completed")
            continue
        want = 1 if items else 0
        got = per_order.get(number, 0)
        if not items:
            found.orders_without_invoice_by_design += 1
        if got < want:
            found.lost += 1
            found.problem(f"order {number} has no invoice")
        elif got > want:
            found.doubled += 1
            found.problem(f"order {number} has {got} invoices")
    # Every succeeded item has exactly one billing line (the charge key is unique, so a second
    # is impossible; a missing one is a lost charge).
    succeeded = {
        (row.order_number, row.item_id)
        for row in conn.execute(
            select(order_items.c.order_number, order_items.c.item_id)
            .join(orders, orders.c.order_number == order_items.c.order_number)
            .where(orders.c.issuer_id == issuer_id, order_items.c.provisioning == "succeeded")
        )
    }
    lines = Counter(
        (row.order_number, row.item_id)
        for row in conn.execute(
            select(billing_lines.c.order_number, billing_lines.c.item_id).where(
                billing_lines.c.issuer_id == issuer_id
            )
        )
    )
    found.lines_checked += len(succeeded)
    for key in succeeded:
        if lines.get(key, 0) != 1:
            found.problem(f"item {key} has {lines.get(key, 0)} billing lines")
            found.lost += lines.get(key, 0) == 0
            found.doubled += lines.get(key, 0) > 1


def check_invoice_numbers(conn: Connection, issuer_id: str, found: Findings) -> None:
    """Per series: numbers 1..N, each once, and N is what the sequence handed out."""
    by_series: dict[str, list[int]] = defaultdict(list)
    for (number,) in conn.execute(
        select(invoices.c.number).where(invoices.c.issuer_id == issuer_id)
    ):
        series, _, n = number.rpartition("-")
        by_series[series].append(int(n))
    last = dict(
        conn.execute(
            select(invoice_number_sequences.c.series, invoice_number_sequences.c.last_number).where(
                invoice_number_sequences.c.issuer_id == issuer_id
            )
        ).all()
    )
    for series, numbers in by_series.items():
        found.invoices_checked += len(numbers)
        repeated = [n for n, c in Counter(numbers).items() if c > 1]
        skipped = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if repeated:
            found.doubled += len(repeated)
            found.problem(f"{series} numbers repeated: {repeated[:10]}")
        if skipped:
            found.problem(f"{series} numbers skipped: {skipped[:10]}")
        if last.get(series) != max(numbers):
            found.problem(
                f"{series} sequence says {last.get(series)}, invoices end at {max(numbers)}"
            )


def check_summaries(conn: Connection, issuer_id: str, requested: set[str], found: Findings) -> None:
    """Every line of every requested source invoice is in exactly one summary; each summary's
    totals are its lines; every summary is TaxCompleted with exactly one tax document."""
    lines_of_sources = Counter(
        str(row.invoice_id)
        for row in conn.execute(
            select(billing_lines.c.invoice_id).where(
                billing_lines.c.invoice_id.in_([s for s in requested])
            )
        )
    )
    consolidated = Counter(
        str(row.source_invoice_id)
        for row in conn.execute(select(summary_invoice_lines.c.source_invoice_id))
    )
    for source in requested:
        found.lines_checked += lines_of_sources[source]
        if consolidated[source] != lines_of_sources[source]:
            found.problem(
                f"source invoice {source}: {lines_of_sources[source]} lines, "
                f"{consolidated[source]} consolidated"
            )
    summaries = conn.execute(
        select(summary_invoices.c.invoice_id, summary_invoices.c.state)
        .join(invoices, invoices.c.id == summary_invoices.c.invoice_id)
        .where(invoices.c.issuer_id == issuer_id)
    ).all()
    documents = Counter(
        row.summary_invoice_id for row in conn.execute(select(tax_documents.c.summary_invoice_id))
    )
    for summary in summaries:
        found.summaries_checked += 1
        if summary.state != "TaxCompleted":
            found.problem(f"summary {summary.invoice_id} ended {summary.state}")
        if documents[summary.invoice_id] != 1:
            found.problem(
                f"summary {summary.invoice_id} has {documents[summary.invoice_id]} tax documents"
            )
        lines_total = conn.scalar(
            select(func.coalesce(func.sum(billing_lines.c.amount), 0))
            .join(
                summary_invoice_lines, summary_invoice_lines.c.billing_line_id == billing_lines.c.id
            )
            .where(summary_invoice_lines.c.summary_invoice_id == summary.invoice_id)
        )
        subtotal = conn.scalar(
            select(func.coalesce(func.sum(summary_invoice_totals.c.subtotal), 0)).where(
                summary_invoice_totals.c.summary_invoice_id == summary.invoice_id
            )
        )
        if lines_total != subtotal:
            found.problem(
                f"summary {summary.invoice_id}: lines {lines_total} != subtotal {subtotal}"
            )


def check_runs(conn: Connection, issuer_id: str, found: Findings) -> None:
    """Each run's counters are the rows it made, and no monthly line is left or billed twice."""
    for run in conn.execute(
        select(billing_runs).where(billing_runs.c.issuer_id == issuer_id)
    ).mappings():
        found.runs_checked += 1
        made = [
            row.id
            for row in conn.execute(
                select(invoices.c.id).where(
                    invoices.c.issuer_id == issuer_id,
                    invoices.c.type == "periodic",
                    invoices.c.period == run["period"],
                )
            )
        ]
        linked = (
            conn.scalar(select(func.count()).where(billing_lines.c.invoice_id.in_(made)))
            if made
            else 0
        )
        if run["status"] != "completed":
            found.problem(f"run {run['run_id']} is {run['status']}")
        if run["invoices_created"] != len(made):
            found.problem(
                f"run {run['run_id']} counts {run['invoices_created']} invoices, made {len(made)}"
            )
        if run["lines_invoiced"] != linked:
            found.problem(
                f"run {run['run_id']} counts {run['lines_invoiced']} lines, linked {linked}"
            )
        if run["customers_done"] != run["customers_total"]:
            found.problem(
                f"run {run['run_id']} did {run['customers_done']} of {run['customers_total']} customers"
            )
    left = conn.scalar(
        select(func.count()).where(
            billing_lines.c.issuer_id == issuer_id,
            billing_lines.c.invoice_frequency == "monthly",
            billing_lines.c.invoice_id.is_(None),
        )
    )
    if left:
        found.lost += int(left)
        found.problem(f"{left} monthly lines left uninvoiced after the run")


def check_webhooks(conn: Connection, received_ids: set[str], found: Findings) -> None:
    """One order.invoiced event per per-order invoice, each delivered and received."""
    invoiced = conn.scalar(select(func.count()).where(invoices.c.type == "per_order"))
    events = conn.execute(
        select(webhook_events.c.id, webhook_events.c.status).where(
            webhook_events.c.type == "order.invoiced"
        )
    ).all()
    found.webhook_events_checked += len(events)
    if len(events) != invoiced:
        found.problem(f"{len(events)} order.invoiced events for {invoiced} invoices")
    for event in events:
        if event.status != "delivered" or str(event.id) not in received_ids:
            found.problem(
                f"event {event.id} is {event.status}, received: {str(event.id) in received_ids}"
            )
