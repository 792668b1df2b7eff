"""Prometheus metrics, scraped over HTTP as Prometheus would: the API's request counts and
latencies, the worker's Temporal SDK metrics, and the engine's own figures on both, equal to
what the database holds."""

from __future__ import annotations

import asyncio
import socket
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment

from billing.metrics import serve_engine_metrics
from billing.schema import invoices, orders
from billing.temporal.data_converter import DATA_CONVERTER
from tests.conftest import ADMIN_TOKEN
from tests.world import World, billed, report, submit
from worker import build_worker


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_figures(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        waiting = conn.scalar(
            select(func.count()).where(orders.c.status == "awaiting_provisioning")
        )
        per_order = conn.scalar(select(func.count()).where(invoices.c.type == "per_order"))
    return int(waiting or 0), int(per_order or 0)


def assert_figures_between(
    got: dict[tuple[str, tuple[tuple[str, str], ...]], float],
    before: tuple[int, int],
    after: tuple[int, int],
) -> None:
    """The scrape read the database between two direct reads (other tests' workflows may still
    be moving orders along)."""
    for name, labels, low, high in [
        ("billing_orders_waiting", (), before[0], after[0]),
        ("billing_invoices_created_total", (("type", "per_order"),), before[1], after[1]),
    ]:
        assert min(low, high) <= got[(name, labels)] <= max(low, high), name


async def test_the_api_counts_and_times_requests_by_route_and_reports_engine_figures(
    live_api_url: str, world: World, temporal: Client, engine: Engine
) -> None:
    async with httpx.AsyncClient(
        base_url=live_api_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as http:
        number = world.order_number("METRICS")
        await submit(http, number, world.seller, world.customer, [("1", world.security, 1)])
        await report(http, number, "1", "succeeded")
        await billed(temporal, number)
        for _ in range(3):
            assert (await http.get(f"/v1/orders/{number}")).status_code == 200
        assert (await http.get("/v1/orders/no-such-order")).status_code == 404
        before = database_figures(engine)
        scraped = await http.get("/metrics", headers={"Authorization": ""})
        after = database_figures(engine)
    assert scraped.status_code == 200
    got = samples(scraped.text)
    route = "/v1/orders/{order_number}"
    ok = ("billing_api_requests_total", (("method", "GET"), ("route", route), ("status", "200")))
    missing = (
        "billing_api_requests_total",
        (("method", "GET"), ("route", route), ("status", "404")),
    )
    assert got[ok] >= 3 and got[missing] >= 1
    assert (
        got[("billing_api_request_duration_seconds_count", (("method", "GET"), ("route", route)))]
        >= 4
    )
    assert not any(number in str(labels) for _, labels in got)  # no raw paths as labels
    assert got[("billing_database_up", ())] == 1
    assert_figures_between(got, before, after)
    assert ("billing_orders_stuck", ()) in got
    assert ("billing_tax_syncs_failed", ()) in got
    assert ("billing_running_runs_customers_done", ()) in got


async def test_the_worker_serves_temporal_sdk_metrics_and_engine_figures(
    temporal_env: WorkflowEnvironment, engine: Engine
) -> None:
    sdk_port = free_port()
    runtime = Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"127.0.0.1:{sdk_port}"))
    )
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host,
        namespace=temporal_env.client.namespace,
        data_converter=DATA_CONVERTER,
        runtime=runtime,
    )
    engine_port = serve_engine_metrics(engine, "127.0.0.1", 0)
    async with build_worker(client, engine, task_queue=f"metrics-{uuid.uuid4().hex[:6]}"):
        await asyncio.sleep(1.5)  # a few polls
        async with httpx.AsyncClient() as http:
            sdk = (await http.get(f"http://127.0.0.1:{sdk_port}/metrics")).text
            before = database_figures(engine)
            figures = (await http.get(f"http://127.0.0.1:{engine_port}/metrics")).text
            after = database_figures(engine)
    sdk_names = {family.name for family in text_string_to_metric_families(sdk)}
    assert any(name.startswith("temporal_") for name in sdk_names), sorted(sdk_names)[:20]
    assert_figures_between(samples(figures), before, after)
