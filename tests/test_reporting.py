"""Reporting: outgoing billings searchable and sortable by order number, keyset pagination."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.client import Client

from tests.world import World, billed, report, submit


async def test_billings_are_searched_and_sorted_by_order_number_across_pages(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    names = ["PO-300", "PO-100", "ZZ-1", "PO-200"]
    numbers = [world.order_number(name) for name in names]
    for number in numbers:
        await submit(api, number, world.seller, world.customer, [("1", world.e5, 1)])
    await asyncio.gather(*(report(api, number, "1", "succeeded") for number in numbers))
    for number in numbers:
        await billed(temporal, number)

    async def all_pages(**params: str) -> list[str]:
        seen, cursor = [], None
        while True:
            query = {"issuer_id": world.seller, "limit": "2", **params}
            if cursor:
                query["cursor"] = cursor
            page = (await api.get("/v1/billings", params=query)).json()
            assert len(page["items"]) <= 2
            seen += [line["order_number"] for line in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return seen

    po = sorted(n for n in numbers if "PO-" in n)
    assert await all_pages(q="po-", sort="order_number") == po
    assert await all_pages(q="po-", sort="-order_number") == po[::-1]
    assert await all_pages(q=f"ZZ-1-{world.suffix}") == [world.order_number("ZZ-1")]
    assert await all_pages(q="%") == []  # LIKE wildcards are searched for literally
    assert sorted(await all_pages()) == sorted(numbers)

    # A cursor belongs to the order it was handed out in: its key is an order number in one and
    # a time in the other.
    for sort, other in [("order_number", "created_at"), ("created_at", "-order_number")]:
        first = await api.get("/v1/billings", params={"limit": "1", "sort": sort})
        cursor = first.json()["next_cursor"]
        again = await api.get("/v1/billings", params={"limit": "1", "sort": sort, "cursor": cursor})
        assert again.status_code == 200, again.text
        crossed = await api.get("/v1/billings", params={"sort": other, "cursor": cursor})
        assert crossed.status_code == 400, crossed.text
        assert "page on with the `sort` the cursor came with" in crossed.json()["detail"]

    bad = await api.get("/v1/billings", params={"cursor": "garbage"})
    assert bad.status_code == 400 and "first page" in bad.json()["detail"]
    assert (await api.get("/v1/billings", params={"sort": "amount"})).status_code == 422


async def test_invoices_page_with_a_cursor(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    numbers = [world.order_number(f"PG-{i}") for i in range(3)]
    for number in numbers:
        await submit(api, number, world.seller, world.customer_b, [("1", world.data, 1)])
        await report(api, number, "1", "succeeded")
        await billed(temporal, number)
    first = (
        await api.get("/v1/invoices", params={"receiver_id": world.customer_b, "limit": 2})
    ).json()
    second = (
        await api.get(
            "/v1/invoices",
            params={"receiver_id": world.customer_b, "limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert second["next_cursor"] is None
    assert [i["order_number"] for i in first["items"] + second["items"]] == numbers
    numbers_issued = [i["number"] for i in first["items"] + second["items"]]
    assert len(set(numbers_issued)) == 3 and all(n.startswith("INV-") for n in numbers_issued)
