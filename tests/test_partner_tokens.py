"""Partner API tokens: each partner sees only what it issued or received, acts only for itself,
and the receiver finds its summary invoice among its incoming invoices with its own token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import Engine, select
from temporalio.client import Client

from billing.schema import partner_tokens
from billing.store.partner_tokens import token_hash
from tests.summary_world import build_summary_world, created, make_invoice, request_summaries


@asynccontextmanager
async def as_partner(
    api: httpx.AsyncClient,
    partner_id: str,
    scopes: tuple[str, ...] = ("read", "orders", "billing-admin"),
) -> AsyncIterator[httpx.AsyncClient]:
    response = await api.post(
        f"/v1/partners/{partner_id}/tokens", json={"label": "test", "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    async with httpx.AsyncClient(
        transport=api._transport,
        base_url=str(api.base_url),
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


async def test_tokens_are_shown_once_and_stored_as_hashes(
    api: httpx.AsyncClient, engine: Engine
) -> None:
    sw = await build_summary_world(api)
    issued = (await api.post(f"/v1/partners/{sw.c1}/tokens")).json()
    assert issued["partner_id"] == sw.c1 and issued["token"].startswith("bpt_")
    with engine.connect() as conn:
        stored = conn.execute(
            select(partner_tokens).where(partner_tokens.c.partner_id == sw.c1)
        ).all()
    assert [row.token_hash for row in stored] == [token_hash(issued["token"])]
    assert issued["token"] not in {row.token_hash for row in stored}
    assert (await api.post("/v1/partners/nobody/tokens")).status_code == 404
    bad = await api.get("/v1/invoices", headers={"Authorization": "Bearer bpt_not-a-token"})
    assert bad.status_code == 401


async def test_the_receiver_sees_its_summary_as_an_incoming_invoice_and_nothing_else(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    sw = await build_summary_world(api)
    shared = make_invoice(engine, sw, sw.seller, [(sw.c1, 1), (sw.c2, 2)])
    answer = await request_summaries(api, sw.seller, [shared])
    for_c1, for_c2 = await created(temporal, answer["request_id"])

    async with as_partner(api, sw.c1) as c1:
        incoming = (await c1.get("/v1/invoices", params={"receiver_id": sw.c1})).json()["items"]
        assert [(i["id"], i["type"], i["number"]) for i in incoming] == [
            (for_c1, "summary", "SUM-000001")
        ]
        assert [line["amount"] for line in incoming[0]["lines"]] == ["10.00"]
        # Everything c1 may see: its summary only (the source invoice was not addressed to it alone).
        assert [i["id"] for i in (await c1.get("/v1/invoices")).json()["items"]] == [for_c1]
        assert (await c1.get(f"/v1/invoices/{for_c2}")).status_code == 404
        assert (await c1.get(f"/v1/invoices/{shared}")).status_code == 404
        assert [s["id"] for s in (await c1.get("/v1/summary-invoices")).json()["items"]] == [for_c1]
        assert (await c1.get(f"/v1/summary-invoices/{for_c2}")).status_code == 404
        assert (await c1.get(f"/v1/summary-invoices/{for_c1}")).json()["receiver_id"] == sw.c1
        # A receiver cannot consolidate for its issuer, nor retry the issuer's tax sync.
        refused = await c1.post(
            "/v1/summary-invoices",
            json={"issuer_id": sw.seller, "invoice_ids": [shared], "invoice_date": "2026-11-30"},
        )
        assert refused.status_code == 403
        # Its own partner record, not its issuer's; no orders of others.
        assert (await c1.get(f"/v1/partners/{sw.c1}")).status_code == 200
        assert (await c1.get(f"/v1/partners/{sw.seller}")).status_code == 404
        assert (await c1.get("/v1/orders")).json()["items"] == []

    async with as_partner(api, sw.seller) as seller:
        outgoing = (await seller.get("/v1/invoices", params={"issuer_id": sw.seller})).json()[
            "items"
        ]
        assert {i["id"] for i in outgoing} == {shared, for_c1, for_c2}
        marker = (await seller.get(f"/v1/invoices/{shared}")).json()["summary_invoice"]
        assert marker == "Multiple Created"
        billed_to_it = (
            await seller.get("/v1/billings", params={"issuer_id": sw.distributor})
        ).json()["items"]
        assert {line["receiver_id"] for line in billed_to_it} <= {sw.seller}
        lines = (await seller.get("/v1/billings")).json()["items"]
        assert all(sw.seller in (line["issuer_id"], line["receiver_id"]) for line in lines)

    async with as_partner(api, sw.distributor) as distributor:
        # One level down only: the seller's invoices to its customers are not the distributor's.
        assert (await distributor.get(f"/v1/invoices/{shared}")).status_code == 404
        assert (await distributor.get(f"/v1/summary-invoices/{for_c1}")).status_code == 404
        refused = await distributor.post(
            "/v1/summary-invoices",
            json={"issuer_id": sw.seller, "invoice_ids": [shared], "invoice_date": "2026-11-30"},
        )
        assert refused.status_code == 403
        assert "cannot act for" in refused.json()["detail"]
        own = make_invoice(engine, sw, sw.distributor, [(sw.seller, 1)])
        accepted = await distributor.post(
            "/v1/summary-invoices",
            json={"issuer_id": sw.distributor, "invoice_ids": [own], "invoice_date": "2026-11-30"},
        )
        assert accepted.status_code == 202 and accepted.json()["invoices_added"] == 1
        [made] = await created(temporal, accepted.json()["request_id"])
        assert (
            await distributor.get(f"/v1/summary-invoice-requests/{accepted.json()['request_id']}")
        ).json()["summary_invoice_ids"] == [made]

    async with as_partner(api, sw.seller) as seller:
        # The seller receives the distributor's summary (and the source invoice it consolidates).
        incoming = (await seller.get("/v1/invoices", params={"receiver_id": sw.seller})).json()[
            "items"
        ]
        assert {i["id"]: i["type"] for i in incoming} == {
            own: "test_vendor_grouped",
            made: "summary",
        }
        request = await seller.get(f"/v1/summary-invoice-requests/{accepted.json()['request_id']}")
        assert request.status_code == 404  # the distributor's request is not the seller's
