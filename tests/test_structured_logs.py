"""Structured logs end to end: the lines the API and the worker write about an order name its
request id, order number and workflow id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from temporalio.client import Client

from billing.structured_logs import JsonFormatter
from tests.world import World, billed, order_body


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_lines_about_an_order_carry_its_number_request_id_and_workflow_id(
    api: httpx.AsyncClient, temporal: Client, world: World, json_lines: io.StringIO
) -> None:
    number = world.order_number("LOGS")
    submitted = await api.post(
        "/v1/orders",
        json=order_body(number, world.seller, world.customer, [("1", world.security, 1)]),
        headers={"X-Request-Id": "req-submit-1"},
    )
    assert submitted.status_code == 202, submitted.text
    assert submitted.headers["X-Request-Id"] == "req-submit-1"
    reported = await api.post(
        f"/v1/orders/{number}/items/1/provisioning", json={"outcome": "succeeded"}
    )
    generated_id = reported.headers["X-Request-Id"]
    await billed(temporal, number)

    lines = [json.loads(text) for text in json_lines.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "billing.api.access"]
    assert any(line["request_id"] == "req-submit-1" for line in access)
    [report_line] = [line for line in access if line["request_id"] == generated_id]
    assert report_line["order_number"] == number and report_line["status"] == 200
    [billed_line] = [line for line in lines if line["message"].startswith("order billed")]
    assert billed_line["workflow_id"] == f"order-{number}"
    assert billed_line["order_number"] == number
    assert billed_line["invoice_number"]
