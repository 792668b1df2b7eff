"""Summary invoices, one per receiving customer, through the real API, worker, Temporal and
PostgreSQL: how selections of one or several customers split, skipped reasons, the feature switch, the
race of two requests, several currencies, and the one-level-down rule."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client

from billing.contracts.summary_invoices import SummaryRequestIn
from billing.contracts.summary_workflow import TaxSyncOptions
from billing.schema import billing_lines, summary_invoice_lines, summary_requests
from billing.settings import Settings
from billing.store.summary_invoices import preview, record_request
from billing.summary_invoices import COMPLETE_MESSAGE, IN_PROGRESS_MESSAGE
from billing.temporal.summary_requests import start_summary_request
from tests.conftest import api_client, make_settings
from tests.summary_world import (
    SummaryWorld,
    build_summary_world,
    created,
    make_invoice,
    request_summaries,
    source_markers,
    summary,
    wait_state,
)
from tests.world import World, billed, put, report, submit
from workflows.summary_request import SummaryRequestWorkflow, workflow_id


@pytest.fixture
async def sw(api: httpx.AsyncClient) -> SummaryWorld:
    return await build_summary_world(api)


async def consolidated(
    api: httpx.AsyncClient, temporal: Client, issuer: str, invoice_ids: list[str]
) -> list[dict]:
    answer = await request_summaries(api, issuer, invoice_ids)
    assert answer["invoices_added"] == len(invoice_ids), answer
    assert answer["invoices_skipped"] == []
    ids = await created(temporal, answer["request_id"])
    return [await summary(api, i) for i in ids]


async def test_two_invoices_of_one_customer_make_one_summary(
    api: httpx.AsyncClient, temporal: Client, world: World, engine: Engine
) -> None:
    """Per-order invoices made by real orders consolidate too."""
    seller = (await api.get(f"/v1/partners/{world.seller}")).json()
    seller["settings"]["summary_invoices"] = True
    await put(api, f"/v1/partners/{world.seller}", {k: v for k, v in seller.items() if k != "id"})
    customer = (await api.get(f"/v1/partners/{world.customer}")).json()
    await put(
        api,
        f"/v1/partners/{world.customer}",
        {**{k: v for k, v in customer.items() if k != "id"}, "country": "DE"},
    )
    invoice_ids = []
    for name, quantity in (("UC1-A", 1), ("UC1-B", 3)):
        number = world.order_number(name)
        await submit(api, number, world.seller, world.customer, [("sec", world.security, quantity)])
        await report(api, number, "sec", "succeeded")
        result = await billed(temporal, number)
        assert result.invoice_id is not None
        invoice_ids.append(result.invoice_id)
    assert await source_markers(api, invoice_ids) == [None, None]

    [made] = await consolidated(api, temporal, world.seller, invoice_ids)

    assert made["invoice_code"] == "SUM-000001"
    assert made["receiver_id"] == world.customer
    assert made["currency"] == "EUR" and made["subtotal"] == "40.00"
    assert made["invoice_date"] == "2026-11-30"
    assert sorted(made["source_invoice_ids"]) == sorted(invoice_ids)
    assert await source_markers(api, invoice_ids) == ["Created (SUM-000001)"] * 2
    done = await wait_state(api, made["id"], "TaxCompleted")
    assert done["tax"] == "7.60" and done["total"] == "47.60"  # DE 19 %
    assert done["reference_code"].startswith("TX-")


async def test_invoices_of_two_customers_make_two_summaries(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    i1 = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)])
    i2 = make_invoice(engine, sw, sw.seller, [(sw.c2, 2)])

    made = await consolidated(api, temporal, sw.seller, [i1, i2])

    assert [(m["invoice_code"], m["receiver_id"], m["subtotal"]) for m in made] == [
        ("SUM-000001", sw.c1, "10.00"),
        ("SUM-000002", sw.c2, "20.00"),
    ]
    assert [m["source_invoice_ids"] for m in made] == [[i1], [i2]]
    assert await source_markers(api, [i1, i2]) == ["Created (SUM-000001)", "Created (SUM-000002)"]


async def test_an_invoice_for_two_customers_splits_across_their_summaries(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    i1 = make_invoice(engine, sw, sw.seller, [(sw.c1, 1), (sw.c2, 2)])
    i2 = make_invoice(engine, sw, sw.seller, [(sw.c2, 4)])

    made = await consolidated(api, temporal, sw.seller, [i1, i2])

    assert [(m["invoice_code"], m["receiver_id"], m["subtotal"]) for m in made] == [
        ("SUM-000001", sw.c1, "10.00"),
        ("SUM-000002", sw.c2, "60.00"),
    ]
    assert made[0]["source_invoice_ids"] == [i1]
    assert sorted(made[1]["source_invoice_ids"]) == sorted([i1, i2])
    assert await source_markers(api, [i1, i2]) == ["Multiple Created", "Created (SUM-000002)"]


async def test_two_invoices_for_four_customers_make_four_summaries(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    i1 = make_invoice(engine, sw, sw.seller, [(sw.c1, 1), (sw.c2, 1)])
    i2 = make_invoice(engine, sw, sw.seller, [(sw.c3, 1), (sw.c4, 1)])

    made = await consolidated(api, temporal, sw.seller, [i1, i2])

    assert [(m["invoice_code"], m["receiver_id"], m["source_invoice_ids"]) for m in made] == [
        ("SUM-000001", sw.c1, [i1]),
        ("SUM-000002", sw.c2, [i1]),
        ("SUM-000003", sw.c3, [i2]),
        ("SUM-000004", sw.c4, [i2]),
    ]
    assert await source_markers(api, [i1, i2]) == ["Multiple Created", "Multiple Created"]
    # Each receiver is taxed by its own country: DE 19 %, FR 20 %, NL 21 %.
    taxes = [(await wait_state(api, m["id"], "TaxCompleted"))["tax"] for m in made]
    assert taxes == ["1.90", "1.90", "2.00", "2.10"]


async def test_the_request_answers_added_and_skipped_with_reasons_before_writing(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    fine = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)])
    draft = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)], status="draft")
    foreign = make_invoice(engine, sw, sw.seller_off, [(sw.customer_of_off, 1)])
    missing = str(uuid.uuid4())
    selection = [fine, draft, foreign, missing, "not-a-uuid", fine]
    body = {"issuer_id": sw.seller, "invoice_ids": selection, "invoice_date": "2026-11-30"}

    preview = await api.post("/v1/summary-invoices/preview", json=body)
    assert preview.status_code == 200, preview.text
    with engine.connect() as conn:
        assert (
            conn.scalar(select(func.count()).where(summary_requests.c.issuer_id == sw.seller)) == 0
        )
    answer = await request_summaries(api, sw.seller, selection)

    for view in (preview.json(), answer):
        assert view["invoices_added"] == 1
        assert [(s["invoice_id"], s["reason"]) for s in view["invoices_skipped"]] == [
            (draft, "not_consolidable"),
            (foreign, "not_found"),
            (missing, "not_found"),
            ("not-a-uuid", "not_found"),
        ]
        assert "only verified invoices" in view["invoices_skipped"][0]["detail"]
        # Another issuer's invoice reads exactly like an unknown id.
        assert view["invoices_skipped"][1]["detail"] == view["invoices_skipped"][2]["detail"]
    await created(temporal, answer["request_id"])

    again = await request_summaries(api, sw.seller, [fine])
    assert again["invoices_added"] == 0
    [skipped] = again["invoices_skipped"]
    assert skipped["reason"] == "already_consolidated"
    assert skipped["detail"].endswith("is already consolidated.")
    # Nothing to add: the request is complete at once, with no summary.
    status = (await api.get(f"/v1/summary-invoice-requests/{again['request_id']}")).json()
    assert status["status"] == "complete" and status["summary_invoice_ids"] == []


async def test_progress_is_worded_for_administrators_on_the_api_and_the_workflow_query(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    invoice_id = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)])
    answer = await request_summaries(api, sw.seller, [invoice_id])
    request_id = answer["request_id"]
    first = (await api.get(f"/v1/summary-invoice-requests/{request_id}")).json()
    # Either still working or already done; each status carries its own sentence.
    assert (first["status"], first["message"]) in {
        ("in_progress", IN_PROGRESS_MESSAGE),
        ("complete", COMPLETE_MESSAGE),
    }
    [summary_id] = await created(temporal, request_id)

    status = (await api.get(f"/v1/summary-invoice-requests/{request_id}")).json()
    assert status["status"] == "complete"
    assert status["message"] == "Invoice creation is complete. View invoices in the Invoices tab."
    assert status["summary_invoice_ids"] == [summary_id]
    progress = await temporal.get_workflow_handle(workflow_id(request_id)).query(
        SummaryRequestWorkflow.progress
    )
    assert progress.message == COMPLETE_MESSAGE and progress.summary_invoice_ids == [summary_id]


async def test_a_request_is_refused_while_the_feature_is_off(
    api: httpx.AsyncClient, sw: SummaryWorld, engine: Engine
) -> None:
    invoice_id = make_invoice(engine, sw, sw.seller_off, [(sw.customer_of_off, 1)])
    response = await api.post(
        "/v1/summary-invoices",
        json={
            "issuer_id": sw.seller_off,
            "invoice_ids": [invoice_id],
            "invoice_date": "2026-11-30",
        },
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Feature not enabled"
    assert "summary_invoices" in problem["detail"]
    with engine.connect() as conn:
        assert (
            conn.scalar(select(func.count()).where(summary_requests.c.issuer_id == sw.seller_off))
            == 0
        )


async def test_two_racing_requests_consolidate_each_line_once(
    api: httpx.AsyncClient,
    temporal: Client,
    sw: SummaryWorld,
    engine: Engine,
    settings: Settings,
) -> None:
    invoice_ids = [
        make_invoice(engine, sw, sw.seller, [(sw.c1, 1), (sw.c2, 1)]),
        make_invoice(engine, sw, sw.seller, [(sw.c2, 2)]),
        make_invoice(engine, sw, sw.seller, [(sw.c3, 3)]),
    ]
    # Two requests holding the same invoices (as recorded before requests took turns, or by
    # hand); their workflows start together and the database decides who gets the lines.
    body = SummaryRequestIn(
        issuer_id=sw.seller, invoice_ids=invoice_ids, invoice_date=date(2026, 11, 30)
    )
    with engine.begin() as conn:
        added, skipped = preview(conn, body)
        answers = [
            record_request(conn, body, "admin-1", added, skipped),
            record_request(conn, body, "admin-2", added, skipped),
        ]
    assert [a.invoices_added for a in answers] == [3, 3]
    await asyncio.gather(
        *(
            start_summary_request(
                temporal,
                a,
                sw.seller,
                task_queue=settings.task_queue,
                tax=TaxSyncOptions(),
            )
            for a in answers
        )
    )
    made = [await created(temporal, a.request_id) for a in answers]

    assert sorted(len(m) for m in made) == [0, 3]  # the loser finds every line taken
    with engine.connect() as conn:
        lines = conn.execute(
            select(billing_lines.c.id, func.count(summary_invoice_lines.c.summary_invoice_id))
            .outerjoin(
                summary_invoice_lines,
                summary_invoice_lines.c.billing_line_id == billing_lines.c.id,
            )
            .where(billing_lines.c.issuer_id == sw.seller)
            .group_by(billing_lines.c.id)
        ).all()
    assert len(lines) == 4 and all(count == 1 for _, count in lines)
    codes = sorted([(await summary(api, i))["invoice_code"] for m in made for i in m])
    assert codes == ["SUM-000001", "SUM-000002", "SUM-000003"]  # gapless

    # The primary key is the guarantee, lock or no lock: a second claim on a line fails.
    winner = next(m for m in made if m)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(summary_invoice_lines).values(
                billing_line_id=lines[0][0],
                summary_invoice_id=uuid.UUID(winner[-1]),
                source_invoice_id=uuid.UUID(invoice_ids[0]),
            )
        )


async def test_several_currencies_keep_separate_totals(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    eur = make_invoice(engine, sw, sw.seller, [(sw.c1, 3)])
    usd = make_invoice(engine, sw, sw.seller, [(sw.c1, 2)], currency="USD")
    gbp = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)], currency="GBP")

    [made] = await consolidated(api, temporal, sw.seller, [eur, usd, gbp])
    assert made["currency"] is None and made["subtotal"] is None and made["total"] is None
    done = await wait_state(api, made["id"], "TaxCompleted")

    assert done["totals_by_currency"] == [
        {"currency": "EUR", "subtotal": "30.00", "tax": "5.70", "total": "35.70"},
        {"currency": "GBP", "subtotal": "7.25", "tax": "1.38", "total": "8.63"},
        {"currency": "USD", "subtotal": "25.00", "tax": "4.75", "total": "29.75"},
    ]
    assert done["currency"] is None and done["tax"] is None  # nothing converted
    incoming = (await api.get(f"/v1/invoices/{made['id']}")).json()
    assert incoming["currency"] is None and incoming["total"] is None
    assert sorted(line["amount"] for line in incoming["lines"]) == ["25.00", "30.00", "7.25"]


async def test_a_distributor_consolidates_for_its_sellers_one_level_down_only(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    to_sellers = make_invoice(engine, sw, sw.distributor, [(sw.seller, 5), (sw.seller_off, 1)])
    to_a_customer = make_invoice(engine, sw, sw.distributor, [(sw.seller, 1), (sw.c1, 1)])

    answer = await request_summaries(api, sw.distributor, [to_sellers, to_a_customer])
    assert answer["invoices_added"] == 1
    [skipped] = answer["invoices_skipped"]
    assert (skipped["invoice_id"], skipped["reason"]) == (to_a_customer, "not_consolidable")
    assert "one level down" in skipped["detail"]
    made = [await summary(api, i) for i in await created(temporal, answer["request_id"])]
    assert [(m["receiver_id"], m["subtotal"]) for m in made] == [
        (sw.seller, "50.00"),
        (sw.seller_off, "10.00"),
    ]
    # The seller's own outgoing invoices are not the distributor's to consolidate.
    theirs = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)])
    again = await request_summaries(api, sw.distributor, [theirs])
    assert again["invoices_skipped"][0]["reason"] == "not_found"


async def test_identical_requests_sent_at_once_are_one_request_and_say_so(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    invoice_ids = [make_invoice(engine, sw, sw.seller, [(sw.c1, n + 1)]) for n in range(5)]
    body = {"issuer_id": sw.seller, "invoice_ids": invoice_ids, "invoice_date": "2026-11-30"}
    answers = await asyncio.gather(*(api.post("/v1/summary-invoices", json=body) for _ in range(4)))
    assert [a.status_code for a in answers] == [202] * 4
    [request_id] = {a.json()["request_id"] for a in answers}
    assert {a.json()["invoices_added"] for a in answers} == {5}
    [made] = [await created(temporal, request_id)]
    assert len(made) == 1
    with engine.connect() as conn:
        count = select(func.count()).where(summary_requests.c.issuer_id == sw.seller)
        assert conn.scalar(count) == 1
    # Asked again once it is done, the same selection adds nothing and says why.
    again = await request_summaries(api, sw.seller, invoice_ids)
    assert again["request_id"] != request_id and again["invoices_added"] == 0
    assert {s["reason"] for s in again["invoices_skipped"]} == {"already_consolidated"}


async def test_an_overlapping_request_skips_what_a_request_at_work_holds(
    api: httpx.AsyncClient,
    temporal: Client,
    sw: SummaryWorld,
    engine: Engine,
    database_url: str,
) -> None:
    held, free = (make_invoice(engine, sw, sw.seller, [(sw.c1, 1)]) for _ in range(2))
    # An API whose task queue no worker polls: its request stays at work as long as we need.
    idle = make_settings(database_url, f"billing-idle-{uuid.uuid4().hex[:6]}")
    async with api_client(idle, engine, temporal) as stalled:
        first = (
            await stalled.post(
                "/v1/summary-invoices",
                json={"issuer_id": sw.seller, "invoice_ids": [held], "invoice_date": "2026-11-30"},
            )
        ).json()
    assert first["invoices_added"] == 1
    try:
        body = {"issuer_id": sw.seller, "invoice_ids": [held, free], "invoice_date": "2026-11-30"}
        preview_answer = (await api.post("/v1/summary-invoices/preview", json=body)).json()
        answer = await request_summaries(api, sw.seller, [held, free])
        for view in (preview_answer, answer):
            assert view["invoices_added"] == 1
            [skipped] = view["invoices_skipped"]
            assert (skipped["invoice_id"], skipped["reason"]) == (held, "being_consolidated")
            assert skipped["detail"].endswith(f"by request {first['request_id']}.")
        [made] = await created(temporal, answer["request_id"])
        assert (await summary(api, made))["source_invoice_ids"] == [free]
    finally:
        await temporal.get_workflow_handle(workflow_id(first["request_id"])).terminate()
