"""Summary-invoice requests and their consolidation: one summary invoice per receiver, made by
set-based SQL in one transaction. The primary key of summary_invoice_lines (billing_line_id) is
what guarantees that no billing line is consolidated twice; the per-issuer advisory lock only
makes the loser of a race find the lines taken instead of failing on that key."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from billing.contracts.common import Page
from billing.contracts.summary_invoices import (
    CurrencyTotals,
    SkippedInvoice,
    SummaryInvoice,
    SummaryPreview,
    SummaryRequestAccepted,
    SummaryRequestIn,
    SummaryRequestView,
)
from billing.contracts.summary_workflow import ConsolidationResult
from billing.errors import FeatureNotEnabled, NotFound
from billing.schema import (
    invoices,
    partners,
    summary_invoice_lines,
    summary_invoice_totals,
    summary_invoices,
    summary_request_invoices,
    summary_requests,
)
from billing.store.invoice_numbers import reserve_invoice_numbers
from billing.store.invoices import parse_uuid
from billing.store.pagination import keyset_page
from billing.store.visibility import seen_by
from billing.summary_invoices import (
    CODE_SERIES,
    COMPLETE_MESSAGE,
    IN_PROGRESS_MESSAGE,
    SourceFacts,
    classify,
)
from billing.vocabulary import (
    InvoiceStatus,
    InvoiceType,
    SummaryInvoiceState,
    SummaryRequestStatus,
)

_UUIDS = ARRAY(UUID(as_uuid=True))

_FACTS = text(
    """
    select i.id, i.number, i.issuer_id, i.type, i.status,
           (select ri.request_id from summary_request_invoices ri
            join summary_requests r on r.id = ri.request_id
            where ri.invoice_id = i.id and r.status = 'in_progress'
            order by r.created_at limit 1) as claimed_by,
           count(bl.id) as lines,
           count(bl.id) filter (where s.billing_line_id is null) as unconsolidated_lines,
           count(bl.id) filter (where r.parent_id is distinct from i.issuer_id)
               as lines_beyond_one_level
    from invoices i
    left join billing_lines bl on bl.invoice_id = i.id
    left join summary_invoice_lines s on s.billing_line_id = bl.id
    left join partners r on r.id = bl.receiver_id
    where i.id = any(:ids)
    group by i.id
    """
).bindparams(bindparam("ids", type_=_UUIDS))


def source_facts(conn: Connection, ids: list[uuid.UUID]) -> dict[str, SourceFacts]:
    """What billing.summary_invoices.classify needs to know of each selected invoice."""
    return {
        str(row.id): SourceFacts(
            invoice_id=str(row.id),
            number=row.number,
            issuer_id=row.issuer_id,
            type=row.type,
            status=row.status,
            lines=row.lines,
            unconsolidated_lines=row.unconsolidated_lines,
            lines_beyond_one_level=row.lines_beyond_one_level,
            claimed_by=str(row.claimed_by) if row.claimed_by else None,
        )
        for row in conn.execute(_FACTS, {"ids": ids})
    }


def _issuer_with_feature(conn: Connection, issuer_id: str) -> None:
    enabled = conn.scalar(select(partners.c.summary_invoices).where(partners.c.id == issuer_id))
    if enabled is None:
        raise NotFound(f"No partner with id {issuer_id!r}.")
    if not enabled:
        raise FeatureNotEnabled(
            f"Summary invoices are not enabled for {issuer_id}. Turn on the partner setting "
            "`summary_invoices` ('Activate the Invoices tab') and try again."
        )


def preview(conn: Connection, body: SummaryRequestIn) -> tuple[list[str], list[SkippedInvoice]]:
    """Which selected invoices a request adds and which it skips, and why; writes nothing."""
    _issuer_with_feature(conn, body.issuer_id)
    ids: list[uuid.UUID] = []
    for raw in body.invoice_ids:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue  # reported as not found below
    facts = source_facts(conn, ids)
    # Look ids up in their canonical form, so an upper-case UUID still finds its invoice.
    canonical = {raw: _canonical(raw) for raw in body.invoice_ids}
    added, skipped = classify(
        body.issuer_id,
        [canonical[raw] or raw for raw in body.invoice_ids],
        facts,
    )
    return added, skipped


def _canonical(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def preview_request(conn: Connection, body: SummaryRequestIn) -> SummaryPreview:
    added, skipped = preview(conn, body)
    return SummaryPreview(invoices_added=len(added), invoices_skipped=skipped)


def create_request(
    conn: Connection, body: SummaryRequestIn, requested_by: str
) -> SummaryRequestAccepted:
    """Record a request with the invoices it adds, and say truly what it will do: an identical
    request still at work is answered with its own id (it is the same request); invoices another
    request still holds are skipped as being consolidated by it. Complete at once when it adds
    none. Requests and consolidations of one issuer take turns, so concurrent requests see each
    other."""
    _lock_issuer(conn, body.issuer_id)
    same = _identical_request_at_work(conn, body)
    if same is not None:
        return same
    added, skipped = preview(conn, body)
    return record_request(conn, body, requested_by, added, skipped)


def _lock_issuer(conn: Connection, issuer_id: str) -> None:
    conn.execute(
        text("select pg_advisory_xact_lock(hashtext('summary-invoices:' || :issuer_id))"),
        {"issuer_id": issuer_id},
    )


def _identical_request_at_work(
    conn: Connection, body: SummaryRequestIn
) -> SummaryRequestAccepted | None:
    wanted = {_canonical(raw) or raw for raw in body.invoice_ids}
    at_work = conn.execute(
        select(
            summary_requests.c.id,
            summary_requests.c.invoices_added,
            summary_requests.c.invoices_skipped,
            func.array(
                select(summary_request_invoices.c.invoice_id)
                .where(summary_request_invoices.c.request_id == summary_requests.c.id)
                .scalar_subquery()
            ).label("added"),
        )
        .where(
            summary_requests.c.issuer_id == body.issuer_id,
            summary_requests.c.invoice_date == body.invoice_date,
            summary_requests.c.status == SummaryRequestStatus.in_progress.value,
        )
        .order_by(summary_requests.c.created_at)
    )
    for row in at_work:
        skipped = [SkippedInvoice.model_validate(s) for s in row.invoices_skipped]
        requested = {str(i) for i in row.added} | {
            _canonical(s.invoice_id) or s.invoice_id for s in skipped
        }
        if requested == wanted:
            return SummaryRequestAccepted(
                request_id=str(row.id),
                invoices_added=row.invoices_added,
                invoices_skipped=skipped,
            )
    return None


def record_request(
    conn: Connection,
    body: SummaryRequestIn,
    requested_by: str,
    added: list[str],
    skipped: list[SkippedInvoice],
) -> SummaryRequestAccepted:
    request_id = conn.execute(
        insert(summary_requests)
        .values(
            issuer_id=body.issuer_id,
            invoice_date=body.invoice_date,
            requested_by=requested_by,
            invoices_added=len(added),
            invoices_skipped=[s.model_dump(mode="json") for s in skipped],
            status=(
                SummaryRequestStatus.in_progress if added else SummaryRequestStatus.complete
            ).value,
            completed_at=None if added else func.now(),
        )
        .returning(summary_requests.c.id)
    ).scalar_one()
    if added:
        conn.execute(
            text(
                "insert into summary_request_invoices (request_id, invoice_id) "
                "select :request_id, unnest(:ids)"
            ).bindparams(bindparam("ids", type_=_UUIDS)),
            {"request_id": request_id, "ids": [uuid.UUID(i) for i in added]},
        )
    return SummaryRequestAccepted(
        request_id=str(request_id), invoices_added=len(added), invoices_skipped=skipped
    )


_CANDIDATES = text(
    """
    create temporary table summary_candidates on commit drop as
    select bl.id as line_id, bl.invoice_id, bl.receiver_id, bl.amount, bl.currency
    from summary_request_invoices ri
    join invoices i on i.id = ri.invoice_id
    join billing_lines bl on bl.invoice_id = ri.invoice_id
    join partners r on r.id = bl.receiver_id
    where ri.request_id = :request_id
      and i.issuer_id = :issuer_id and i.status = :verified and i.type <> :summary
      and r.parent_id = :issuer_id
      and not exists (
          select 1 from summary_invoice_lines s where s.billing_line_id = bl.id
      )
    """
)


def stage_candidates(conn: Connection, request_id: uuid.UUID, issuer_id: str) -> None:
    """Stage in `summary_candidates` the lines the request's invoices still give: the
    set-based form of billing.summary_invoices.classify, re-checked when the request runs
    because a racing request may have taken lines since it was recorded."""
    conn.execute(
        _CANDIDATES,
        {
            "request_id": request_id,
            "issuer_id": issuer_id,
            "verified": InvoiceStatus.verified.value,
            "summary": InvoiceType.summary.value,
        },
    )


_LINK_LINES = text(
    """
    insert into summary_invoice_lines (billing_line_id, summary_invoice_id, source_invoice_id)
    select c.line_id, s.invoice_id, c.invoice_id
    from summary_candidates c
    join summary_invoices s on s.request_id = :request_id and s.receiver_id = c.receiver_id
    """
)

_TOTALS = text(
    """
    insert into summary_invoice_totals (summary_invoice_id, currency, subtotal, tax, total)
    select s.invoice_id, c.currency, sum(c.amount), 0, sum(c.amount)
    from summary_candidates c
    join summary_invoices s on s.request_id = :request_id and s.receiver_id = c.receiver_id
    group by s.invoice_id, c.currency
    """
)


def consolidate(conn: Connection, request_id: str) -> ConsolidationResult:
    """Make the request's summary invoices, one per receiver, in the caller's transaction.
    Safe to run twice: a complete request returns what it made."""
    rid = parse_uuid(request_id, "summary request")
    request = conn.execute(
        select(
            summary_requests.c.issuer_id, summary_requests.c.invoice_date, summary_requests.c.status
        )
        .where(summary_requests.c.id == rid)
        .with_for_update()
    ).first()
    if request is None:
        raise NotFound(f"No summary request with id {request_id!r}.")
    if request.status == SummaryRequestStatus.complete:
        return _made_by(conn, rid, lines=0)

    # One consolidation per issuer at a time: the loser of a race then sees the winner's lines.
    _lock_issuer(conn, request.issuer_id)
    stage_candidates(conn, rid, request.issuer_id)
    sums: dict[str, dict[str, Decimal]] = defaultdict(dict)
    lines = 0
    for receiver_id, currency, amount, count in conn.execute(
        text(
            "select receiver_id, currency, sum(amount), count(*) from summary_candidates "
            "group by receiver_id, currency order by receiver_id, currency"
        )
    ):
        sums[receiver_id][currency] = amount
        lines += count
    receivers = sorted(sums)
    codes = reserve_invoice_numbers(conn, request.issuer_id, CODE_SERIES, len(receivers))
    if receivers:
        rows = []
        for receiver_id, code in zip(receivers, codes, strict=True):
            by_currency = sums[receiver_id]
            single = next(iter(by_currency.items())) if len(by_currency) == 1 else None
            rows.append(
                {
                    "number": code,
                    "type": InvoiceType.summary.value,
                    "status": InvoiceStatus.verified.value,
                    "issuer_id": request.issuer_id,
                    "receiver_id": receiver_id,
                    "currency": single[0] if single else None,
                    "subtotal": single[1] if single else None,
                    "tax": 0,
                    "total": single[1] if single else None,
                }
            )
        made = conn.execute(
            insert(invoices).values(rows).returning(invoices.c.id, invoices.c.receiver_id)
        ).all()
        conn.execute(
            insert(summary_invoices).values(
                [
                    {
                        "invoice_id": invoice_id,
                        "request_id": rid,
                        "receiver_id": receiver_id,
                        "invoice_date": request.invoice_date,
                        "state": SummaryInvoiceState.new.value,
                    }
                    for invoice_id, receiver_id in made
                ]
            )
        )
        conn.execute(_LINK_LINES, {"request_id": rid})
        conn.execute(_TOTALS, {"request_id": rid})
    conn.execute(
        update(summary_requests)
        .where(summary_requests.c.id == rid)
        .values(status=SummaryRequestStatus.complete.value, completed_at=func.now())
    )
    return _made_by(conn, rid, lines=lines)


def _made_by(conn: Connection, rid: uuid.UUID, *, lines: int) -> ConsolidationResult:
    made = conn.execute(
        select(invoices.c.id, invoices.c.number)
        .join(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)
        .where(summary_invoices.c.request_id == rid)
        .order_by(invoices.c.number)
    ).all()
    return ConsolidationResult(
        summary_invoice_ids=[str(row.id) for row in made],
        invoice_codes=[row.number for row in made],
        lines_consolidated=lines,
    )


def get_request(conn: Connection, request_id: str) -> SummaryRequestView:
    rid = parse_uuid(request_id, "summary request")
    row = (
        conn.execute(select(summary_requests).where(summary_requests.c.id == rid))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"No summary request with id {request_id!r}.")
    status = SummaryRequestStatus(row["status"])
    return SummaryRequestView(
        request_id=str(row["id"]),
        issuer_id=row["issuer_id"],
        invoice_date=row["invoice_date"],
        status=status,
        message=COMPLETE_MESSAGE
        if status is SummaryRequestStatus.complete
        else IN_PROGRESS_MESSAGE,
        invoices_added=row["invoices_added"],
        invoices_skipped=[SkippedInvoice.model_validate(s) for s in row["invoices_skipped"]],
        summary_invoice_ids=_made_by(conn, rid, lines=0).summary_invoice_ids,
        created_at=row["created_at"],
        completed_at=row["completed_at"],
    )


def _summary_query() -> Any:
    return select(
        invoices.c.id,
        invoices.c.number,
        invoices.c.issuer_id,
        invoices.c.receiver_id,
        invoices.c.currency,
        invoices.c.subtotal,
        invoices.c.tax,
        invoices.c.total,
        invoices.c.created_at,
        summary_invoices.c.request_id,
        summary_invoices.c.invoice_date,
        summary_invoices.c.state,
        summary_invoices.c.reference_code,
        summary_invoices.c.tax_failure_reason,
        summary_invoices.c.tax_attempts,
        # Rendered on the first download: there is one to download from TaxCompleted on.
        (summary_invoices.c.state == SummaryInvoiceState.tax_completed.value).label(
            "pdf_available"
        ),
    ).join(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)


def _views(conn: Connection, rows: list[Any]) -> list[SummaryInvoice]:
    ids = [row["id"] for row in rows]
    totals: dict[uuid.UUID, list[CurrencyTotals]] = defaultdict(list)
    sources: dict[uuid.UUID, list[str]] = defaultdict(list)
    if ids:
        for t in conn.execute(
            select(summary_invoice_totals)
            .where(summary_invoice_totals.c.summary_invoice_id.in_(ids))
            .order_by(
                summary_invoice_totals.c.summary_invoice_id, summary_invoice_totals.c.currency
            )
        ).mappings():
            totals[t["summary_invoice_id"]].append(
                CurrencyTotals(
                    currency=t["currency"], subtotal=t["subtotal"], tax=t["tax"], total=t["total"]
                )
            )
        for summary_id, source_id in conn.execute(
            select(
                summary_invoice_lines.c.summary_invoice_id,
                summary_invoice_lines.c.source_invoice_id,
            )
            .where(summary_invoice_lines.c.summary_invoice_id.in_(ids))
            .distinct()
            .order_by(
                summary_invoice_lines.c.summary_invoice_id,
                summary_invoice_lines.c.source_invoice_id,
            )
        ):
            sources[summary_id].append(str(source_id))
    views = []
    for row in rows:
        by_currency = totals[row["id"]]
        single = by_currency[0] if len(by_currency) == 1 else None
        views.append(
            SummaryInvoice(
                id=str(row["id"]),
                invoice_code=row["number"],
                reference_code=row["reference_code"],
                state=row["state"],
                issuer_id=row["issuer_id"],
                receiver_id=row["receiver_id"],
                request_id=str(row["request_id"]),
                currency=single.currency if single else None,
                invoice_date=row["invoice_date"],
                subtotal=single.subtotal if single else None,
                tax=single.tax if single else None,
                total=single.total if single else None,
                totals_by_currency=by_currency,
                source_invoice_ids=sources[row["id"]],
                tax_failure_reason=row["tax_failure_reason"],
                tax_attempts=row["tax_attempts"],
                pdf_available=row["pdf_available"],
            )
        )
    return views


def get_summary_invoice(
    conn: Connection, summary_invoice_id: str, *, visible_to: str | None = None
) -> SummaryInvoice:
    """`visible_to`: a partner, who sees only summaries it issued or received (else: not found,
    so ids of other partners' invoices give nothing away)."""
    sid = parse_uuid(summary_invoice_id, "summary invoice")
    query = _summary_query().where(invoices.c.id == sid)
    query = seen_by(query, visible_to, invoices.c.issuer_id, invoices.c.receiver_id)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No summary invoice with id {summary_invoice_id!r}.")
    return _views(conn, [row])[0]


def list_summary_invoices(
    conn: Connection,
    *,
    issuer_id: str | None = None,
    receiver_id: str | None = None,
    state: SummaryInvoiceState | None = None,
    visible_to: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[SummaryInvoice]:
    query = _summary_query()
    if issuer_id is not None:
        query = query.where(invoices.c.issuer_id == issuer_id)
    if receiver_id is not None:
        query = query.where(invoices.c.receiver_id == receiver_id)
    if state is not None:
        query = query.where(summary_invoices.c.state == state.value)
    query = seen_by(query, visible_to, invoices.c.issuer_id, invoices.c.receiver_id)
    rows, next_cursor = keyset_page(
        conn,
        query,
        order=[invoices.c.created_at, invoices.c.number, invoices.c.id],
        cursor=cursor,
        limit=limit,
    )
    return Page[SummaryInvoice](items=_views(conn, rows), next_cursor=next_cursor)
