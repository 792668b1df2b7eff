"""Listing pre-invoice generations over real HTTP, on real Temporal and PostgreSQL: newest
first, page by page with signed cursors, by status (a generation Temporal says ended without
completing is failed, whatever its record says), each partner its own generations only with
no hint of another's, and every bad input a problem+json 4xx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import Client

from billing.store.pre_invoice_runs import reserve_run
from tests.conftest import ADMIN_TOKEN
from tests.delta import ADMIN_OF_ITS_BILLING, DeltaWorld, delta_world, generate, subscription

JAN = date(2026, 1, 1)
PROBLEM = "application/problem+json"


@pytest.fixture
async def http(live_api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=live_api_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as client:
        yield client


async def runs(
    http: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> Any:
    response = await http.get("/v1/pre-invoice-runs", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def three_generations(
    http: httpx.AsyncClient, temporal: Client, w: DeltaWorld
) -> list[dict[str, Any]]:
    """Three completed generations of the issuer, oldest first, as GET of each shows it."""
    await subscription(http, temporal, w, "S1", starts="2026-01-01T00:00:00Z", quantity=2)
    return [(await generate(http, temporal, w, "2026-01-31"))[2] for _ in range(3)]


async def test_generations_are_listed_newest_first_page_by_page(
    http: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(http, months=[JAN])
    first, second, third = await three_generations(http, temporal, w)
    assert first["lines_written"] == 1 and second["lines_written"] == 0

    page = await runs(http, issuer_id=w.issuer, limit=2)
    # Each item is what GET of the generation shows.
    assert page["items"] == [third, second]
    assert page["items"][0] == {
        "run_id": f"pre-invoice-run-{w.issuer}-2026-01-31-3",
        "issuer_id": w.issuer,
        "as_of": "2026-01-31",
        "status": "completed",
        "receivers_total": 1,
        "receivers_done": 1,
        "pre_invoices_created": 0,
        "lines_written": 0,
        "started_at": third["started_at"],
        "finished_at": third["finished_at"],
        "requested_by": None,
    }
    assert page["next_cursor"]
    rest = await runs(http, issuer_id=w.issuer, limit=2, cursor=page["next_cursor"])
    assert rest == {"items": [first], "next_cursor": None}
    # The administrator's listing of every issuer holds them in the same order.
    everyone = await runs(http, limit=500)
    mine = [r["run_id"] for r in everyone["items"] if r["issuer_id"] == w.issuer]
    assert mine == [third["run_id"], second["run_id"], first["run_id"]]
    started = [r["started_at"] for r in everyone["items"]]
    assert started == sorted(started, reverse=True)


async def test_the_status_filter_counts_a_generation_temporal_ended_as_failed(
    http: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w = await delta_world(http, months=[JAN])
    completed = (await generate(http, temporal, w, "2026-01-31"))[0]
    # Recorded as running, and Temporal has no workflow of it yet: still running.
    with engine.begin() as conn:
        waiting = reserve_run(conn, w.issuer, date(2026, 1, 31))
        ended = reserve_run(conn, w.issuer, date(2026, 1, 31))
    # Recorded as running, but its workflow was terminated before it finished anything.
    handle = await temporal.start_workflow(
        "NothingPollsThis", id=ended, task_queue=f"nobody-{uuid.uuid4().hex[:6]}"
    )
    await handle.terminate(reason="the generation was stopped by an operator")

    def ids(page: Any) -> list[str]:
        return [r["run_id"] for r in page["items"]]

    assert ids(await runs(http, issuer_id=w.issuer)) == [ended, waiting, completed]
    assert [r["status"] for r in (await runs(http, issuer_id=w.issuer))["items"]] == [
        "failed",
        "running",
        "completed",
    ]
    assert ids(await runs(http, issuer_id=w.issuer, status="completed")) == [completed]
    assert ids(await runs(http, issuer_id=w.issuer, status="running")) == [waiting]
    assert ids(await runs(http, issuer_id=w.issuer, status="failed")) == [ended]
    assert (await http.get(f"/v1/pre-invoice-runs/{ended}")).json()["status"] == "failed"


async def test_a_partner_lists_only_its_own_generations_and_learns_nothing_of_another(
    http: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(http, months=[JAN])
    other = await delta_world(http, months=[JAN])
    await three_generations(http, temporal, w)
    theirs = (await generate(http, temporal, other, "2026-01-31"))[0]

    async def bearer(partner: str) -> dict[str, str]:
        issued = await http.post(f"/v1/partners/{partner}/tokens", json=ADMIN_OF_ITS_BILLING)
        return {"Authorization": f"Bearer {issued.json()['token']}"}

    issuer, stranger, receiver, parent = [
        await bearer(p) for p in (w.issuer, other.issuer, w.customer, w.distributor)
    ]
    own = await runs(http, issuer, limit=500)
    assert len(own["items"]) == 3 and {r["issuer_id"] for r in own["items"]} == {w.issuer}
    assert [r["run_id"] for r in (await runs(http, stranger, limit=500))["items"]] == [theirs]

    # Asking for another issuer's generations reads exactly like asking for an issuer that
    # does not exist: an empty page, never a refusal that would confirm it.
    asked = await http.get("/v1/pre-invoice-runs", params={"issuer_id": w.issuer}, headers=stranger)
    unknown = await http.get(
        "/v1/pre-invoice-runs", params={"issuer_id": f"nobody-{w.suffix}"}, headers=stranger
    )
    assert asked.status_code == unknown.status_code == 200
    assert asked.json() == unknown.json() == {"items": [], "next_cursor": None}
    # A cursor from the issuer's own listing shows a stranger nothing of the issuer's either.
    page = await runs(http, issuer, limit=1)
    followed = await runs(http, stranger, issuer_id=w.issuer, cursor=page["next_cursor"])
    assert followed["items"] == []
    # The receiver of its pre-invoices and the partner above it see no generation of it.
    for token in (receiver, parent):
        assert (await runs(http, token, issuer_id=w.issuer))["items"] == []


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"status": "finished"}, 422, "status"),
        ({"limit": "0"}, 422, "limit"),
        ({"limit": "501"}, 422, "limit"),
        ({"limit": "many"}, 422, "limit"),
        ({"cursor": "eyJzdGFydGVkX2F0IjoxfQ"}, 400, "cursor"),
        ({"cursor": "WyIyMDI2LTAxLTAxIiwieCJd.AAAAAAAAAAAAAAAAAAAAAA"}, 400, "cursor"),
    ],
)
async def test_bad_listing_input_is_a_problem_never_a_500(
    http: httpx.AsyncClient, params: dict[str, str], status: int, fragment: str
) -> None:
    response = await http.get("/v1/pre-invoice-runs", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and fragment in body["detail"].lower(), body


async def test_a_cursor_of_another_listing_is_refused(
    http: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(http, months=[JAN])
    await subscription(http, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    await subscription(http, temporal, w, "S2", starts="2026-01-01T00:00:00Z")
    listed = await http.get("/v1/subscriptions", params={"customer_id": w.customer, "limit": 1})
    cursor = listed.json()["next_cursor"]
    assert cursor
    response = await http.get("/v1/pre-invoice-runs", params={"cursor": cursor})
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
