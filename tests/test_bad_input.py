"""Input any client can send never reaches a 500: NUL characters, forged cursors, impossible
periods, an unreachable database and unexpected failures all answer problem+json a person can
act on, and the OpenAPI document says so for every operation."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from temporalio.client import Client

from billing.contracts.orders import MAX_ORDERS_PER_BATCH, OrderBatchIn
from billing.database import make_engine
from billing.settings import Settings
from starter.api.app import create_app
from starter.api.context import AppContext
from tests.conftest import ADMIN_TOKEN, api_client
from tests.world import World, order_body, submit

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, fragment: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["detail"]
    assert "Traceback" not in response.text
    assert fragment in body["detail"], body["detail"]
    return body


async def partner_client(api: httpx.AsyncClient, partner_id: str) -> httpx.AsyncClient:
    issued = await api.post(f"/v1/partners/{partner_id}/tokens", json={"label": "bad input"})
    return httpx.AsyncClient(
        transport=api._transport,
        base_url=str(api.base_url),
        headers={"Authorization": f"Bearer {issued.json()['token']}"},
    )


async def test_nul_characters_are_refused_everywhere_with_a_422_naming_the_place(
    api: httpx.AsyncClient, world: World
) -> None:
    w = world
    number = w.order_number("NUL")
    await submit(api, number, w.seller, w.customer, [("1", w.security, 1)])
    nul = "a\u0000b"
    order = order_body(w.order_number("NUL2"), w.seller, w.customer, [("1", w.security, 1)])
    order["items"][0]["bill_to_contact"] = nul
    summary = {"issuer_id": w.seller, "invoice_ids": [nul], "invoice_date": "2026-11-30"}
    attempts: list[tuple[str, str, dict[str, Any] | None, dict[str, str] | None, str]] = [
        ("POST", "/v1/orders", order, None, "items.0.bill_to_contact"),
        ("POST", "/v1/summary-invoices", summary, None, "invoice_ids.0"),
        ("POST", "/v1/summary-invoices/preview", summary, None, "invoice_ids.0"),
        ("POST", f"/v1/orders/{number}/manual-payment", {"operator": nul}, None, "operator"),
        (
            "POST",
            f"/v1/orders/{number}/items/1/manual-outcome",
            {"outcome": "succeeded", "reason": nul * 3, "operator": nul},
            None,
            "reason",
        ),
        ("GET", "/v1/orders", None, {"customer_id": nul}, "customer_id"),
        ("GET", "/v1/billings", None, {"q": nul}, "q"),
        ("GET", "/v1/orders/a%00b", None, None, "order_number"),
        ("GET", "/v1/invoices", None, {"order_number": nul}, "order_number"),
    ]
    seller = await partner_client(api, w.seller)
    async with seller:
        for method, path, body, params, where in attempts:
            for client in (api, seller):
                response = await client.request(method, path, json=body, params=params)
                problem = assert_problem(response, 422, "NUL characters")
                assert where in [e["location"] for e in problem["errors"]], (path, problem)
    # Nothing was recorded for the refused order.
    assert (await api.get(f"/v1/orders/{order['order_number']}")).status_code == 404


async def test_a_tampered_or_borrowed_cursor_is_a_400_that_says_to_start_again(
    api: httpx.AsyncClient, world: World
) -> None:
    w = world
    for n in range(3):
        await submit(api, w.order_number(f"PAGE{n}"), w.seller, w.customer, [("1", w.security, 1)])
    first = (await api.get("/v1/orders", params={"issuer_id": w.seller, "limit": 2})).json()
    cursor = first["next_cursor"]
    assert cursor
    rest = await api.get("/v1/orders", params={"issuer_id": w.seller, "limit": 2, "cursor": cursor})
    assert rest.status_code == 200 and len(rest.json()["items"]) == 1

    forged = base64.urlsafe_b64encode(b'["x","y"]').decode().rstrip("=")
    inner, _, mac = cursor.rpartition(".")
    tampered = [
        forged,
        f"{forged}.{mac}",
        f"{inner[:-2]}AA.{mac}",
        f"{inner}.{'A' * len(mac)}",
        "%%%",
    ]
    for path in ("/v1/invoices", "/v1/billings", "/v1/orders", "/v1/subscriptions",
                 "/v1/summary-invoices"):  # fmt: skip
        for bad in tampered:
            response = await api.get(path, params={"cursor": bad})
            assert_problem(response, 400, "start from the first page")
    # A real cursor of one listing is refused by another, and by the same listing in another
    # order.
    assert_problem(await api.get("/v1/invoices", params={"cursor": cursor}), 400)
    newest = {"issuer_id": w.seller, "limit": 2, "sort": "-created_at", "cursor": cursor}
    assert_problem(await api.get("/v1/orders", params=newest), 400, "in this order")
    oldest = {"issuer_id": w.seller, "limit": 2, "sort": "created_at", "cursor": cursor}
    assert (await api.get("/v1/orders", params=oldest)).json()["items"] == rest.json()["items"]


@pytest.mark.parametrize(
    ("period", "fragment"),
    [
        ("0000-01", "before billing began"),
        ("1999-12", "before billing began"),
        ("2208-04", "has not begun yet"),
        ("4849-05", "has not begun yet"),
        ("2026-13", "written YYYY-MM"),
    ],
)
async def test_a_billing_run_period_must_be_a_month_that_has_begun(
    api: httpx.AsyncClient, world: World, period: str, fragment: str
) -> None:
    response = await api.post(
        "/v1/billing-runs", json={"issuer_id": world.seller, "period": period}
    )
    problem = assert_problem(response, 422)
    detail = problem["detail"]
    if "YYYY-MM" not in fragment:
        assert fragment in detail
        current = datetime.now(UTC).strftime("%Y-%m")
        assert f"from 2000-01 to {current}" in detail


async def test_a_consolidation_run_may_not_stand_on_a_future_day(
    api: httpx.AsyncClient,
) -> None:
    response = await api.post("/v1/consolidation-runs", json={"as_of": "9999-12-31"})
    assert_problem(response, 422, "in the future")


class PostgresDoor:
    """A TCP relay in front of the test PostgreSQL that can be closed and opened again: the
    database goes away for the API without touching the shared server."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        socket_dir = url.query.get("host")
        port = url.port or 5432
        # The embedded server listens on a Unix socket; a configured one on TCP.
        self.unix_path = f"{socket_dir}/.s.PGSQL.{port}" if isinstance(socket_dir, str) else None
        self.target = (url.host or "127.0.0.1", port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await (
            asyncio.open_unix_connection(self.unix_path)
            if self.unix_path
            else asyncio.open_connection(*self.target)
        )
        self.writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@asynccontextmanager
async def api_through(door: PostgresDoor, database_url: str, settings: Settings,
                      temporal: Client) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    url = (
        make_url(database_url)
        .difference_update_query(["host"])
        .set(host="127.0.0.1", port=door.port)
    )
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=2)
    try:
        async with api_client(settings, engine, temporal) as client:
            yield client
    finally:
        engine.dispose()


async def test_while_the_database_is_down_requests_answer_503_and_a_retry_then_succeeds(
    api: httpx.AsyncClient, world: World, database_url: str, settings: Settings, temporal: Client
) -> None:
    door = PostgresDoor(database_url)
    await door.open()
    w = world
    body = order_body(w.order_number("DOWN"), w.seller, w.customer, [("1", w.security, 1)])
    async with api_through(door, database_url, settings, temporal) as through:
        assert (await through.get("/v1/orders", params={"limit": 1})).status_code == 200
        await door.close()
        for response in (
            await through.post("/v1/orders", json=body),
            await through.get("/v1/orders"),
        ):
            problem = assert_problem(response, 503, "database is unreachable")
            assert response.headers["Retry-After"].isdigit()
            assert problem["title"] == "Service unavailable"
        await door.open()
        retried = await through.post("/v1/orders", json=body)
        assert retried.status_code == 202, retried.text
        assert retried.json()["order_number"] == body["order_number"]
    await door.close()


async def test_a_database_that_never_answers_is_a_503_for_a_partner_token_too(
    settings: Settings, temporal: Client
) -> None:
    closed = make_engine("postgresql://postgres@127.0.0.1:9/nothing", pool_size=1)
    try:
        async with api_client(settings, closed, temporal) as api:
            partner = await api.get("/v1/invoices", headers={"Authorization": "Bearer bpt_x"})
            assert_problem(partner, 503, "retry in")
    finally:
        closed.dispose()


async def test_an_unexpected_error_is_a_problem_with_an_id_that_the_log_also_has(
    settings: Settings, engine: Engine, temporal: Client, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(AppContext(settings, engine, temporal))

    async def fail_unexpectedly() -> None:
        raise RuntimeError("a bug the API did not foresee")

    app.add_api_route("/v1/failing", fail_unexpectedly)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://billing.test",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as client:
        with caplog.at_level(logging.ERROR, logger="starter.api.problems"):
            response = await client.get("/v1/failing")
    problem = assert_problem(response, 500, "error id")
    assert "did not foresee" not in response.text
    logged = [r for r in caplog.records if problem["error_id"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None


async def test_every_operation_declares_its_problems_and_a_camel_case_operation_id(
    api: httpx.AsyncClient,
) -> None:
    document = (await api.get("/openapi.json")).json()
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))
    assert operations[("post", "/v1/orders")]["operationId"] == "submitOrder"
    provisioning = ("post", "/v1/orders/{order_number}/items/{item_id}/provisioning")
    assert operations[provisioning]["operationId"] == "reportProvisioning"
    for (method, path), operation in operations.items():
        assert operation["operationId"].isalnum() and operation["operationId"][0].islower()
        if path == "/healthz":
            continue
        for code in ("401", "403", "404", "422", "503"):
            content = operation["responses"][code]["content"]
            assert list(content) == [PROBLEM], (method, path, code)
        if operation.get("requestBody"):
            assert {"400", "413"} <= operation["responses"].keys(), (method, path)
    assert "Problem" in document["components"]["schemas"]


async def test_unknown_path_and_wrong_method_are_problems_with_allow(
    api: httpx.AsyncClient,
) -> None:
    assert_problem(await api.get(f"/v1/nothing-{uuid.uuid4().hex[:4]}"), 404, "/docs")
    wrong = await api.delete("/v1/partners/anyone")
    assert_problem(wrong, 405)
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) == {"GET", "PUT"}


async def test_a_body_over_the_limit_is_a_413_problem_and_records_nothing(
    settings: Settings, engine: Engine, temporal: Client, world: World
) -> None:
    limited = settings.model_copy(update={"max_request_bytes": 2**16})
    number = world.order_number("HUGE")
    items = [(f"item-{i}", world.security, 1) for i in range(400)]
    body = order_body(number, world.seller, world.customer, items)
    for item in body["items"]:
        item["bill_to_contact"] = "c" * 200
    async with api_client(limited, engine, temporal) as api:
        declared = await api.post("/v1/orders", json=body)  # with its Content-Length
        problem = assert_problem(declared, 413, "limit of 65,536 bytes")
        assert "BILLING_MAX_REQUEST_BYTES" in problem["detail"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            text = httpx.Request("POST", "/", json=body).read()
            for start in range(0, len(text), 8192):
                yield text[start : start + 8192]

        streamed = await api.post(
            "/v1/orders", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert_problem(streamed, 413, "limit of 65,536 bytes")
        assert (await api.get(f"/v1/orders/{number}")).status_code == 404
        # Under the limit, the same API takes an order.
        await submit(api, world.order_number("SMALL"), world.seller, world.customer, items[:2])


def test_the_largest_batch_the_schema_accepts_fits_under_the_default_limit() -> None:
    def identifier(prefix: str, n: int) -> str:
        return f"{prefix}{n}".ljust(100, "x")

    def item(n: int) -> dict[str, Any]:
        return {
            "item_id": identifier("item", n),
            "offer_id": identifier("offer", 0),
            "quantity": 1_000_000,
            "invoice_group_number": "g" * 100,
            "bill_to_contact": "c" * 200,
            "payment_term": "net_30",
        }

    orders = [
        {
            "order_number": identifier("order", n),
            "issuer_id": identifier("issuer", 0),
            "customer_id": identifier("customer", 0),
            "type": "renewal",
            "resold": False,
            "aligns_end_date": False,
            "items": [item(i) for i in range(500)],
        }
        for n in range(MAX_ORDERS_PER_BATCH)
    ]
    OrderBatchIn.model_validate({"orders": orders})  # the schema takes it
    indented = json.dumps({"orders": orders}, indent=2).encode()
    assert len(indented) < Settings.model_fields["max_request_bytes"].default
