"""The order API's promises: idempotent submissions and reports, clear errors for bad input, and
nothing changed by a refused request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from temporalio.client import Client

from activities.orders import OrderActivities
from billing.contracts.order_workflow import BillOrderInput
from billing.schema import billing_lines, invoices, orders, subscriptions
from tests.world import World, billed, invoices_of, order_body, report, submit


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"]
    for fragment in fragments:
        assert fragment in problem["detail"], problem["detail"]
    return problem


def count(engine: Engine, table: Any, **where: str) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


async def test_resubmitting_the_same_order_returns_it_and_a_different_body_is_refused(
    api: httpx.AsyncClient, temporal: Client, world: World, engine: Engine
) -> None:
    number = world.order_number("IDEM")
    body = order_body(number, world.seller, world.customer, [("1", world.security, 1)])
    first = await api.post("/v1/orders", json=body)
    again = await api.post("/v1/orders", json=body)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()

    changed = order_body(number, world.seller, world.customer, [("1", world.security, 2)])
    assert_problem(await api.post("/v1/orders", json=changed), 409, number, "different contents")
    assert count(engine, orders, order_number=number) == 1

    await report(api, number, "1", "succeeded")
    await billed(temporal, number)
    # Resubmitting a finished order neither restarts its workflow nor bills it again.
    replay = await api.post("/v1/orders", json=body)
    assert replay.status_code == 202 and replay.json()["status"] == "completed"
    assert len(await invoices_of(api, number)) == 1


async def test_provisioning_reports_are_idempotent_and_final(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = world.order_number("REP")
    await submit(
        api, number, world.seller, world.customer, [("a", world.security, 1), ("b", world.data, 1)]
    )
    first = await report(api, number, "a", "succeeded")
    assert first.status_code == 200
    assert first.json()["pending_items"] == ["b"]
    same = await report(api, number, "a", "succeeded")
    assert same.status_code == 200 and same.json() == first.json()
    assert_problem(await report(api, number, "a", "failed"), 409, "already reported succeeded")

    assert_problem(await report(api, number, "nope", "succeeded"), 404, "no item 'nope'")
    assert_problem(await report(api, "NO-SUCH-ORDER", "a", "succeeded"), 404, "NO-SUCH-ORDER")
    assert_problem(await report(api, number, "b", "maybe"), 422, "outcome")

    await report(api, number, "b", "succeeded")
    await billed(temporal, number)
    late = await report(api, number, "b", "succeeded")  # a retry after the order was billed
    assert late.status_code == 200 and late.json()["status"] == "completed"
    assert_problem(await report(api, number, "b", "failed"), 409)
    assert len(await invoices_of(api, number)) == 1


async def test_billing_an_order_twice_writes_everything_once(
    api: httpx.AsyncClient, temporal: Client, world: World, engine: Engine
) -> None:
    number = world.order_number("TWICE")
    await submit(
        api, number, world.seller, world.customer, [("a", world.security, 2), ("b", world.e5, 1)]
    )
    await report(api, number, "a", "succeeded")
    await report(api, number, "b", "succeeded")
    first = await billed(temporal, number)
    # An activity retried after its commit (worker lost the completion) runs again.
    again = OrderActivities(engine).bill_order(BillOrderInput(order_number=number))
    assert again == first
    assert count(engine, invoices, order_number=number) == 1
    assert count(engine, billing_lines, order_number=number) == 2
    assert count(engine, subscriptions, order_number=number) == 2


async def test_items_that_do_not_qualify_are_billed_monthly(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    # Setting off at the issuer: even Sentinel One's one-time offer goes to the month-end run.
    off = world.order_number("OFF")
    await submit(
        api, off, world.seller_monthly, world.customer_of_monthly, [("1", world.security, 1)]
    )
    await report(api, off, "1", "succeeded")
    result = await billed(temporal, off)
    assert result.invoice_id is None and result.monthly_items == ["1"]
    assert await invoices_of(api, off) == []

    # A recurring offer of a vendor that supports invoice per order is not one-time.
    recurring = world.order_number("REC")
    await submit(api, recurring, world.seller, world.customer, [("1", world.sn1_recurring, 3)])
    await report(api, recurring, "1", "succeeded")
    result = await billed(temporal, recurring)
    assert result.invoice_id is None and result.monthly_items == ["1"]
    [line] = (await api.get("/v1/billings", params={"q": recurring})).json()["items"]
    assert line["invoice_frequency"] == "monthly"
    assert line["amount"] == "10.00"  # 3 x 3.333333 = 9.999999, rounded once per line


async def test_an_order_whose_items_all_failed_invoices_nothing(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = world.order_number("FAIL")
    await submit(api, number, world.seller, world.customer, [("1", world.security, 1)])
    await report(api, number, "1", "failed", reason="licence pool exhausted")
    result = await billed(temporal, number)
    assert result.invoice_id is None and result.failed_items == ["1"]
    order = (await api.get(f"/v1/orders/{number}")).json()
    assert order["status"] == "completed" and order["invoice_id"] is None
    assert (await api.get("/v1/billings", params={"q": number})).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"issuer_id": "ghost-issuer"}, 422, "Unknown issuer 'ghost-issuer'"),
        ({"customer_id": "ghost-customer"}, 422, "Unknown customer 'ghost-customer'"),
        (
            {"items": [{"item_id": "1", "offer_id": "ghost-offer", "quantity": 1}]},
            422,
            "Unknown offer",
        ),
        (
            {"items": [{"item_id": "1", "offer_id": "{security}", "quantity": 0}]},
            422,
            "items.0.quantity",
        ),
        (
            {"items": [{"item_id": "1", "offer_id": "{security}", "quantity": -3}]},
            422,
            "greater than 0",
        ),
        ({"items": []}, 422, "items"),
        (
            {
                "items": [
                    {"item_id": "1", "offer_id": "{security}", "quantity": 1},
                    {"item_id": "1", "offer_id": "{data}", "quantity": 1},
                ]
            },
            422,
            "repeated: ['1']",
        ),
        (
            {
                "items": [
                    {"item_id": "1", "offer_id": "{security}", "quantity": 1},
                    {"item_id": "2", "offer_id": "{usd_offer}", "quantity": 1},
                ]
            },
            422,
            "share one currency",
        ),
        ({"customer_id": "{customer_of_monthly}"}, 422, "one level down"),
        ({"unexpected": True}, 422, "unexpected"),
    ],
    ids=[
        "unknown-issuer",
        "unknown-customer",
        "unknown-offer",
        "zero-quantity",
        "negative-quantity",
        "no-items",
        "duplicate-item-ids",
        "mixed-currencies",
        "customer-of-another-issuer",
        "unknown-field",
    ],
)
async def test_bad_orders_are_refused_and_change_nothing(
    api: httpx.AsyncClient,
    world: World,
    engine: Engine,
    change: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    number = world.order_number("BAD")
    body = order_body(number, world.seller, world.customer, [("1", world.security, 1)]) | change
    rendered = httpx.Request("POST", "/", json=body).content.decode()
    for name, value in vars(world).items():
        rendered = rendered.replace("{" + name + "}", value)
    response = await api.post(
        "/v1/orders", content=rendered, headers={"content-type": "application/json"}
    )
    assert_problem(response, status, fragment)
    assert count(engine, orders, order_number=number) == 0
    assert (await api.get(f"/v1/orders/{number}")).status_code == 404


async def test_malformed_json_is_a_400_problem(api: httpx.AsyncClient, world: World) -> None:
    response = await api.post(
        "/v1/orders", content=b'{"order_number": "x",', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "not valid JSON")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic Zm9vOmJhcg=="}],
    ids=["missing", "wrong", "not-bearer"],
)
async def test_requests_without_the_token_are_401_and_change_nothing(
    api: httpx.AsyncClient, world: World, engine: Engine, headers: dict[str, str]
) -> None:
    number = world.order_number("AUTH")
    body = order_body(number, world.seller, world.customer, [("1", world.security, 1)])
    async with httpx.AsyncClient(transport=api._transport, base_url=str(api.base_url)) as anonymous:
        response = await anonymous.post("/v1/orders", json=body, headers=headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await anonymous.get("/v1/invoices", headers=headers)).status_code == 401
        assert (await anonymous.get("/healthz")).status_code == 200
    assert count(engine, orders, order_number=number) == 0


async def test_unknown_resources_are_404_problems(api: httpx.AsyncClient) -> None:
    for path in (
        "/v1/orders/none",
        "/v1/invoices/00000000-0000-0000-0000-000000000000",
        "/v1/invoices/not-a-uuid",
        "/v1/subscriptions/00000000-0000-0000-0000-000000000000",
        "/v1/partners/none",
        "/v1/vendors/none",
        "/v1/offers/none",
        "/v1/nothing-here",
    ):
        assert_problem(await api.get(path), 404)


async def test_reference_data_rules(api: httpx.AsyncClient, world: World) -> None:
    def partner(level: str, parent: str | None) -> dict[str, Any]:
        return {"name": "P", "level": level, "parent_id": parent, "currency": "EUR"}

    assert_problem(
        await api.put("/v1/partners/x-1", json=partner("seller", None)), 422, "needs a parent_id"
    )
    assert_problem(
        await api.put("/v1/partners/x-2", json=partner("distributor", world.distributor)),
        422,
        "top",
    )
    assert_problem(
        await api.put("/v1/partners/x-3", json=partner("seller", world.customer)),
        422,
        "must be a distributor",
    )
    assert_problem(
        await api.put("/v1/partners/x-4", json=partner("customer", "ghost")), 422, "Unknown parent"
    )
    bad_offer = {
        "vendor_id": "ghost",
        "name": "O",
        "billing_type": "one_time",
        "unit_price": "1",
        "currency": "EUR",
    }
    assert_problem(await api.put("/v1/offers/x-5", json=bad_offer), 422, "Unknown vendor")
    negative = bad_offer | {"vendor_id": world.sn1, "unit_price": "-1"}
    assert_problem(await api.put("/v1/offers/x-6", json=negative), 422, "unit_price")
    # PUT replaces: turning the setting off is read back.
    updated = await api.put(
        f"/v1/vendors/{world.sn1}", json={"name": "Sentinel One", "invoice_per_order": False}
    )
    assert updated.json() == {"id": world.sn1, "name": "Sentinel One", "invoice_per_order": False}


async def test_orders_are_listed_oldest_first_or_newest_first_page_by_page(
    api: httpx.AsyncClient, world: World
) -> None:
    numbers = [world.order_number(f"AGE{i}") for i in range(5)]
    for number in numbers:  # submitted one after another: each is younger than the one before
        await submit(api, number, world.seller, world.customer, [("a", world.security, 1)])

    async def listed(**params: Any) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            query = {"issuer_id": world.seller, "limit": 2, **params}
            answer = await api.get(
                "/v1/orders", params={**query, "cursor": cursor} if cursor else query
            )
            assert answer.status_code == 200, answer.text
            seen += [order["order_number"] for order in answer.json()["items"]]
            cursor = answer.json()["next_cursor"]
            if cursor is None:
                return seen

    assert await listed() == numbers
    assert await listed(sort="created_at") == numbers
    assert await listed(sort="-created_at") == numbers[::-1]
    assert_problem(await api.get("/v1/orders", params={"sort": "order_number"}), 422, "sort")
