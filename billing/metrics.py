"""The engine's own Prometheus metrics, which the API and every worker expose.

They are read from PostgreSQL when Prometheus scrapes (store.operations_figures), so every
process reports the same truth and nothing is lost when one restarts. Counters are counts of
rows that are never deleted (invoices), so they only grow, as Prometheus expects."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from billing.store.operations_figures import OperationsFigures, operations_figures
from billing.vocabulary import InvoiceType, RunStatus, SummaryInvoiceState
from billing.webhook_events import WebhookEventStatus

log = logging.getLogger(__name__)


class EngineCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "billing_database_up", "1 when the engine's figures could be read from PostgreSQL."
        )
        try:
            with self._engine.begin() as conn:
                figures = operations_figures(conn)
        except Exception as error:  # a scrape during an outage says so instead of failing
            log.warning("metrics: cannot read figures from the database: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _families(figures)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(
    name: str, documentation: str, label: str, counts: dict[str, int], values: list[str]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value in values:
        family.add_metric([value], counts.get(value, 0))
    return family


def _families(f: OperationsFigures) -> Iterator[Metric]:
    yield _gauge(
        "billing_orders_waiting", "Orders waiting for provisioning outcomes.", f.orders_waiting
    )
    yield _gauge(
        "billing_orders_stuck",
        "Orders past their stuck threshold without every outcome.",
        f.orders_stuck,
    )
    yield _gauge(
        "billing_oldest_stuck_order_seconds",
        "How long the oldest stuck order has been stuck (0 when none is).",
        f.oldest_stuck_seconds,
    )
    invoices = CounterMetricFamily(
        "billing_invoices_created", "Invoices created, by type.", labels=["type"]
    )
    for kind in InvoiceType:
        invoices.add_metric([kind.value], f.invoices_by_type.get(kind.value, 0))
    yield invoices
    yield _labelled(
        "billing_summary_invoices",
        "Summary invoices by tax-sync state.",
        "state",
        f.summaries_by_state,
        [state.value for state in SummaryInvoiceState],
    )
    yield _gauge(
        "billing_tax_syncs_failed",
        "Summary invoices in TaxFailed, waiting for an operator's retry.",
        f.summaries_by_state.get(SummaryInvoiceState.tax_failed.value, 0),
    )
    yield _labelled(
        "billing_runs",
        "Month-end and consolidation runs by status.",
        "status",
        f.runs_by_status,
        [status.value for status in RunStatus],
    )
    yield _gauge(
        "billing_running_runs_customers_done",
        "Customers done so far by the runs still running.",
        f.running_customers_done,
    )
    yield _gauge(
        "billing_running_runs_customers_total",
        "Customers the runs still running have to do.",
        f.running_customers_total,
    )
    yield _gauge(
        "billing_oldest_running_run_seconds",
        "How long the oldest run still running has been running (0 when none is).",
        f.oldest_running_run_seconds,
    )
    yield _labelled(
        "billing_webhook_events",
        "Webhook events by delivery status.",
        "status",
        f.webhook_events_by_status,
        [status.value for status in WebhookEventStatus],
    )


def engine_registry(engine: Engine) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(EngineCollector(engine))
    return registry


def serve_engine_metrics(engine: Engine, host: str, port: int) -> int:
    """Serve the engine's metrics over HTTP on a thread; the port bound (0 picks one)."""
    server, _thread = start_http_server(port, addr=host, registry=engine_registry(engine))
    return int(server.server_address[1])
