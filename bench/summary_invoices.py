"""Time to consolidate 10,000 selected invoices into summary invoices, end to end.

    python3 dev.py bench summary_invoices [--invoices N] [--customers M]

Makes a fresh database (DATABASE_URL's server, else an embedded one) and a Temporal dev server,
writes N source invoices of one seller for M customers with set-based SQL (two lines each; every
fifth invoice bills two customers), then measures:

  end to end: POST /v1/summary-invoices with the N ids (classification, request recorded) →
              summary-request workflow → consolidation activity → summaries committed
              (the request reads `complete`), with the API in process and one worker;
  baseline:   the same rows (summary invoices and their line links) for an identical second
              seller, written by raw set-based SQL (INSERT ... SELECT) in one transaction.

It prints both and their ratio; then the tax syncs the request started (one workflow per summary,
built-in provider) until every summary is TaxCompleted, against the same number of bare
workflows, all started at once, of each of two shapes: three no-op task-queue activities (the
shape tax sync had first) and a no-op local activity, a task-queue activity and a local
activity (the shape it has now). A tax invoice's PDF is rendered on its first download, not by
tax sync, so that cost is printed too: `--downloads` tax invoices fetched through the API one
after another, twice (the first download renders and stores, the second reads the stored one),
p50 and p99 of each. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import Engine, text
from temporalio.client import Client
from temporalio.worker import Worker

from bench.baselines.tax_sync_workflow import (
    BareLocalTaxSyncWorkflow,
    BareTaxSyncWorkflow,
    bare_tax_step,
)
from bench.probes.processes import cpu_now, cpu_per
from billing.contracts.reference_data import OfferIn, PartnerIn, PartnerSettings, VendorIn
from billing.database import make_engine
from billing.settings import Settings, load_settings
from billing.store.reference_data import put_offer, put_partner, put_vendor
from billing.vocabulary import BillingType, PartnerLevel
from starter.api.app import create_app
from starter.api.context import AppContext
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from worker import build_worker

TOKEN = "bench-admin-token"


def reference_data(engine: Engine, sellers: list[str], customers: int) -> None:
    def partner(name: str, level: PartnerLevel, parent: str | None, **kw: object) -> PartnerIn:
        return PartnerIn.model_validate(
            {"name": name, "level": level, "parent_id": parent, "currency": "EUR", **kw}
        )

    with engine.begin() as conn:
        put_partner(conn, "bench-dist", partner("Distributor", PartnerLevel.distributor, None))
        for seller in sellers:
            put_partner(
                conn,
                seller,
                partner(
                    seller,
                    PartnerLevel.seller,
                    "bench-dist",
                    settings=PartnerSettings(summary_invoices=True),
                ),
            )
            for n in range(customers):
                put_partner(
                    conn,
                    f"{seller}-c{n:04d}",
                    partner(f"Customer {n}", PartnerLevel.customer, seller, country="DE"),
                )
        put_vendor(conn, "bench-vendor", VendorIn(name="Sentinel One", invoice_per_order=True))
        put_offer(
            conn,
            "bench-offer",
            OfferIn.model_validate(
                {
                    "vendor_id": "bench-vendor",
                    "name": "Security Suite",
                    "billing_type": BillingType.one_time,
                    "unit_price": "10.00",
                    "currency": "EUR",
                }
            ),
        )


_INVOICES = text(
    """
    insert into invoices (number, type, status, issuer_id, receiver_id, currency, subtotal, total)
    select 'INV-' || lpad(g::text, 6, '0'), 'bench', 'verified', :seller, null, 'EUR', 20.00, 20.00
    from generate_series(1, :n) g
    """
)
_LINES = text(
    """
    insert into billing_lines (charge_key, issuer_id, receiver_id, vendor_id, offer_id, quantity,
                               unit_price, amount, currency, invoice_frequency, invoice_id)
    select 'bench:' || :seller || ':' || i.number || ':' || k, :seller,
           :seller || '-c' || lpad((case when k = 2 and n % 5 = 0 then (n * 7) % :m else n % :m end)::text, 4, '0'),
           'bench-vendor', 'bench-offer', 1, 10.00, 10.00, 'EUR', 'monthly', i.id
    from (select id, number, substring(number from 5)::int as n from invoices
          where issuer_id = :seller and type = 'bench') i
    cross join generate_series(1, 2) k
    """
)


def source_invoices(engine: Engine, seller: str, n: int, customers: int) -> list[str]:
    with engine.begin() as conn:
        conn.execute(_INVOICES, {"seller": seller, "n": n})
        conn.execute(_LINES, {"seller": seller, "m": customers})
        return [
            str(row.id)
            for row in conn.execute(
                text(
                    "select id from invoices where issuer_id = :s and type = 'bench' order by number"
                ),
                {"s": seller},
            )
        ]


_BASELINE = [
    text(
        """
        insert into summary_requests (issuer_id, invoice_date, status, requested_by, invoices_added)
        values (:seller, '2026-11-30', 'complete', 'baseline', :n)
        returning id
        """
    ),
    text(
        """
        insert into invoices (number, type, status, issuer_id, receiver_id, currency, subtotal, total)
        select 'RAW-' || lpad((row_number() over (order by bl.receiver_id))::text, 6, '0'),
               'summary', 'verified', :seller, bl.receiver_id, 'EUR', sum(bl.amount), sum(bl.amount)
        from billing_lines bl join invoices i on i.id = bl.invoice_id
        where i.issuer_id = :seller and i.type = 'bench'
        group by bl.receiver_id
        """
    ),
    text(
        """
        insert into summary_invoices (invoice_id, request_id, receiver_id, invoice_date)
        select id, :request_id, receiver_id, '2026-11-30' from invoices
        where issuer_id = :seller and type = 'summary'
        """
    ),
    text(
        """
        insert into summary_invoice_lines (billing_line_id, summary_invoice_id, source_invoice_id)
        select bl.id, s.invoice_id, bl.invoice_id
        from billing_lines bl
        join invoices i on i.id = bl.invoice_id and i.issuer_id = :seller and i.type = 'bench'
        join summary_invoices s on s.receiver_id = bl.receiver_id and s.request_id = :request_id
        """
    ),
]


def baseline(engine: Engine, seller: str, n: int) -> tuple[float, int]:
    started = time.perf_counter()
    with engine.begin() as conn:
        request_id = conn.execute(_BASELINE[0], {"seller": seller, "n": n}).scalar_one()
        for statement in _BASELINE[1:]:
            conn.execute(statement, {"seller": seller, "request_id": request_id})
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        lines = conn.execute(
            text(
                "select count(*) from summary_invoice_lines l join invoices s "
                "on s.id = l.summary_invoice_id where s.issuer_id = :s"
            ),
            {"s": seller},
        ).scalar_one()
    return elapsed, lines


BareShape = type[BareTaxSyncWorkflow] | type[BareLocalTaxSyncWorkflow]


def percentile(samples: list[float], p: float) -> float:
    """Nearest rank: of 50 samples, p99 is the slowest."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def pdf_downloads(api: httpx.AsyncClient, summary_ids: list[str]) -> list[float]:
    """Seconds per GET /v1/invoices/{id}/pdf, one after another."""
    seconds = []
    for summary_id in summary_ids:
        started = time.perf_counter()
        response = await api.get(f"/v1/invoices/{summary_id}/pdf")
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
        assert response.content.startswith(b"%PDF-")
    return seconds


async def bare_tax_syncs(client: Client, n: int, shape: BareShape) -> tuple[float, str]:
    """All `n` bare workflows started at once, as the summary request starts its tax syncs."""
    queue = f"bench-bare-tax-{shape.__name__}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[shape],
        activities=[bare_tax_step],
        activity_executor=ThreadPoolExecutor(16),
        max_concurrent_activities=16,
    ):
        started, before = time.perf_counter(), cpu_now()
        handles = [
            await client.start_workflow(shape.run, f"s{i}", id=f"{queue}-{i}", task_queue=queue)
            for i in range(n)
        ]
        await asyncio.gather(*(h.result() for h in handles))
        return time.perf_counter() - started, cpu_per(n, before)


async def main(n: int, customers: int, workflow_tasks: int, downloads: int) -> None:
    with fresh_database("billing_bench") as url:
        engine = make_engine(url, pool_size=16)
        env = await engine_dev_server()
        async with env:
            settings = Settings.model_validate(
                {"DATABASE_URL": url, "BILLING_TASK_QUEUE": "bench", "BILLING_ADMIN_TOKEN": TOKEN}
            )
            reference_data(engine, ["bench-seller", "bench-raw"], customers)
            started = time.perf_counter()
            ids = source_invoices(engine, "bench-seller", n, customers)
            source_invoices(engine, "bench-raw", n, customers)
            with engine.connect() as conn:
                # As autovacuum would after a bulk load: plans need statistics.
                conn.execute(text("analyze"))
                conn.commit()
            print(
                f"source data: 2 x {n:,} invoices, {2 * n:,} lines each, {customers} customers "
                f"(set-based SQL, {time.perf_counter() - started:.2f} s)"
            )

            raw_seconds, raw_lines = baseline(engine, "bench-raw", n)

            app = create_app(AppContext(settings, engine, env.client))
            production = load_settings()
            async with (
                build_worker(
                    env.client,
                    engine,
                    task_queue=settings.task_queue,
                    max_concurrent_workflow_tasks=workflow_tasks,
                    # As production workers run: sandboxed only if the environment asks, and
                    # polling as the environment says.
                    workflow_sandbox=production.workflow_sandbox,
                    workflow_task_polls=production.workflow_task_polls,
                    nonsticky_poll_ratio=production.nonsticky_poll_ratio,
                ),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://bench",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=120,
                ) as api,
            ):
                started = time.perf_counter()
                response = await api.post(
                    "/v1/summary-invoices",
                    json={
                        "issuer_id": "bench-seller",
                        "invoice_ids": ids,
                        "invoice_date": "2026-11-30",
                    },
                )
                accepted_at = time.perf_counter()
                response.raise_for_status()
                answer = response.json()
                status: dict[str, Any] = {"status": "in_progress"}
                while status["status"] != "complete":
                    await asyncio.sleep(0.02)
                    status = (
                        await api.get(f"/v1/summary-invoice-requests/{answer['request_id']}")
                    ).json()
                committed_at = time.perf_counter()
                tax_cpu_before = cpu_now()
                summaries = len(status["summary_invoice_ids"])
                # Then the tax syncs (one workflow per summary) run; report them too.
                pending = summaries
                while pending:
                    await asyncio.sleep(0.2)
                    with engine.connect() as conn:
                        pending = conn.execute(
                            text(
                                "select count(*) from summary_invoices s join invoices i "
                                "on i.id = s.invoice_id where i.issuer_id = 'bench-seller' "
                                "and s.state <> 'TaxCompleted'"
                            )
                        ).scalar_one()
                taxed_at = time.perf_counter()
                tax_cpu = cpu_per(summaries, tax_cpu_before)
                downloaded: list[str] = status["summary_invoice_ids"][:downloads]
                first_downloads = await pdf_downloads(api, downloaded)
                second_downloads = await pdf_downloads(api, downloaded)

            end_to_end = committed_at - started
            print(
                f"selected invoices:        {answer['invoices_added']:,} added, "
                f"{len(answer['invoices_skipped'])} skipped"
            )
            print(
                f"summary invoices:         {summaries} (lines consolidated: {raw_lines:,} in the baseline)"
            )
            print(f"request answered (202):   {accepted_at - started:.2f} s")
            print(
                f"end to end, committed:    {end_to_end:.2f} s  "
                f"({answer['invoices_added'] / end_to_end:,.0f} invoices/s)"
            )
            print(f"raw SQL baseline:         {raw_seconds:.2f} s")
            print(f"ratio end to end / raw:   {end_to_end / raw_seconds:.1f}x")
            tax_seconds = taxed_at - committed_at
            print(
                f"+ tax sync of all {summaries} summaries (built-in provider): "
                f"{tax_seconds:.2f} s more ({summaries / tax_seconds:.1f} summaries/s); "
                f"CPU per sync: {tax_cpu}"
            )
            for label, samples in (
                ("first download", first_downloads),
                ("second download", second_downloads),
            ):
                if samples:
                    print(
                        f"tax invoice PDF, {label} of {len(samples)}: "
                        f"p50 {percentile(samples, 50) * 1000:.0f} ms, "
                        f"p99 {percentile(samples, 99) * 1000:.0f} ms"
                    )
            shapes: list[tuple[str, BareShape]] = [
                ("3 task-queue activities (the first shape)", BareTaxSyncWorkflow),
                ("local, task-queue, local activity (today's shape)", BareLocalTaxSyncWorkflow),
            ]
            for label, shape in shapes:
                bare_seconds, bare_cpu = await bare_tax_syncs(env.client, summaries, shape)
                print(
                    f"bare tax sync, {summaries} workflows x {label}: {bare_seconds:.2f} s "
                    f"({summaries / bare_seconds:.1f}/s); "
                    f"ratio tax sync / bare throughput: {bare_seconds / tax_seconds:.2f}x; "
                    f"CPU per workflow: {bare_cpu}"
                )
        engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument(
        "--workflow-tasks",
        type=int,
        default=Settings.model_fields["max_concurrent_workflow_tasks"].default,
        help="workflow tasks the engine's worker takes on at once "
        "(BILLING_MAX_CONCURRENT_WORKFLOW_TASKS)",
    )
    parser.add_argument(
        "--downloads",
        type=int,
        default=50,
        help="tax invoice PDFs downloaded twice after the tax syncs",
    )
    args = parser.parse_args()
    asyncio.run(main(args.invoices, args.customers, args.workflow_tasks, args.downloads))
