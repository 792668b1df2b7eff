"""The Temporal worker: runs the engine's workflows and activities.

python -m worker   (or `billing worker`)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from activities.billing_runs import BillingRunActivities
from activities.order_recovery import OrderRecoveryActivities
from activities.orders import OrderActivities
from activities.pre_invoices import PreInvoiceActivities
from activities.summary_invoices import SummaryActivities
from activities.tax_sync import TaxSyncActivities
from activities.webhooks import WebhookActivities
from billing.database import make_engine, resolve_database_url
from billing.metrics import serve_engine_metrics
from billing.settings import Settings, get_settings
from billing.structured_logs import configure_logging
from billing.tax.builtin import BuiltinTaxProvider
from billing.tax.configured import tax_provider as configured_tax_provider
from billing.tax.provider import TaxProvider
from billing.temporal.connect import connect_when_ready
from billing.temporal.database_failures import DatabaseFailures
from billing.temporal.schedules import ensure_schedules
from billing.temporal.search_attributes import register_search_attributes
from billing.temporal.webhook_relay import WebhookRelay
from billing.temporal.workflow_sandbox import workflow_runner
from workflows.billing_runs import (
    BillingRunWorkflow,
    ConsolidationWorkflow,
    DailyConsolidationWorkflow,
    MonthEndWorkflow,
)
from workflows.order import OrderWorkflow
from workflows.order_recovery import OrderRecoveryWorkflow
from workflows.pre_invoices import MonthEndPreInvoicesWorkflow, PreInvoiceRunWorkflow
from workflows.summary_request import SummaryRequestWorkflow
from workflows.tax_sync import TaxSyncWorkflow
from workflows.webhook_delivery import WebhookDeliveryWorkflow

WORKFLOWS = [
    OrderWorkflow,
    OrderRecoveryWorkflow,
    SummaryRequestWorkflow,
    TaxSyncWorkflow,
    BillingRunWorkflow,
    ConsolidationWorkflow,
    MonthEndWorkflow,
    DailyConsolidationWorkflow,
    PreInvoiceRunWorkflow,
    MonthEndPreInvoicesWorkflow,
    WebhookDeliveryWorkflow,
]


def build_worker(
    client: Client,
    engine: Engine,
    *,
    task_queue: str,
    max_concurrent_activities: int = 16,
    max_concurrent_local_activities: int = 16,
    max_concurrent_workflow_tasks: int = 100,
    max_cached_workflows: int = 1000,
    workflow_task_polls: int = 10,
    nonsticky_poll_ratio: float = 0.8,
    activity_task_polls: int = 5,
    tax_provider: TaxProvider | None = None,
    order_stuck_after: timedelta = timedelta(hours=24),
    webhook_private_targets: bool = False,
    pre_invoice_parallel_pages: int = 2,
    run_parallel_pages: int = 2,
    workflow_sandbox: bool = True,
) -> Worker:
    """A worker for the engine's task queue. Workflows run sandboxed unless told otherwise:
    the tests and the replays build their workers here and must catch non-deterministic
    workflow code; production says what it wants through `worker_from_settings`."""
    orders = OrderActivities(engine)
    recovery = OrderRecoveryActivities(
        engine, client, task_queue=task_queue, stuck_after=order_stuck_after
    )
    runs = BillingRunActivities(engine, parallel_pages=run_parallel_pages)
    summaries = SummaryActivities(engine, client)
    tax = TaxSyncActivities(engine, tax_provider or BuiltinTaxProvider())
    pre_invoices = PreInvoiceActivities(engine, parallel_pages=pre_invoice_parallel_pages)
    webhooks = WebhookActivities(engine, allow_private_targets=webhook_private_targets)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(sandboxed=workflow_sandbox),
        interceptors=[DatabaseFailures()],
        activities=[
            orders.bill_order,
            orders.mark_order_stuck,
            recovery.recover_orders,
            recovery.recover_orders_step,
            runs.start_billing_run,
            runs.invoice_period_pages,
            runs.generate_renewal_orders,
            runs.consolidate_pages,
            runs.finish_billing_run,
            runs.issuers_to_bill,
            summaries.consolidate_summary_request,
            summaries.start_tax_syncs,
            tax.begin_tax_sync,
            tax.calculate_tax,
            tax.complete_tax_sync,
            tax.fail_tax_sync,
            pre_invoices.start_pre_invoice_run,
            pre_invoices.generate_pre_invoice_pages,
            pre_invoices.finish_pre_invoice_run,
            pre_invoices.delta_issuers,
            pre_invoices.reserve_pre_invoice_run,
            webhooks.deliver_webhook,
            webhooks.give_up_webhook,
        ],
        activity_executor=ThreadPoolExecutor(max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_local_activities=max_concurrent_local_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        max_cached_workflows=max_cached_workflows,
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(workflow_task_polls),
        nonsticky_to_sticky_poll_ratio=nonsticky_poll_ratio,
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(activity_task_polls),
    )


def worker_from_settings(client: Client, engine: Engine, settings: Settings) -> Worker:
    return build_worker(
        client,
        engine,
        task_queue=settings.task_queue,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_local_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_cached_workflows=settings.max_cached_workflows,
        workflow_task_polls=settings.workflow_task_polls,
        nonsticky_poll_ratio=settings.nonsticky_poll_ratio,
        activity_task_polls=settings.activity_task_polls,
        tax_provider=configured_tax_provider(settings),
        order_stuck_after=settings.order_stuck_after,
        webhook_private_targets=settings.webhook_allow_private_targets,
        pre_invoice_parallel_pages=settings.pre_invoice_parallel_pages,
        run_parallel_pages=settings.run_parallel_pages,
        workflow_sandbox=settings.workflow_sandbox,
    )


def install_sdk_metrics(settings: Settings) -> None:
    """Serve the Temporal SDK's own metrics (task latencies, slots, polls, failures) for
    Prometheus: the default runtime must carry them before the first client connects."""
    if settings.worker_sdk_metrics_port:
        telemetry = TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=f"{settings.metrics_host}:{settings.worker_sdk_metrics_port}"
            )
        )
        Runtime.set_default(Runtime(telemetry=telemetry))


async def prepare_temporal(settings: Settings) -> Client:
    """Connect, and make sure what the workflows rely on exists: search attributes, schedules."""
    client = await connect_when_ready(settings.temporal_address, settings.temporal_namespace)
    await register_search_attributes(client)
    await ensure_schedules(client, task_queue=settings.task_queue)
    return client


async def run(settings: Settings) -> None:
    install_sdk_metrics(settings)
    client = await prepare_temporal(settings)
    engine = make_engine(
        resolve_database_url(settings.database_url), pool_size=settings.max_concurrent_activities
    )
    if settings.worker_metrics_port:
        serve_engine_metrics(engine, settings.metrics_host, settings.worker_metrics_port)
    worker = worker_from_settings(client, engine, settings)
    relay = WebhookRelay(
        engine,
        client,
        task_queue=settings.task_queue,
        options=settings.webhook_retry_options(),
        interval=settings.webhook_relay_interval,
    )
    logging.info("worker polling task queue %r", settings.task_queue)
    relaying = asyncio.create_task(relay.run())
    try:
        await worker.run()
    finally:
        relaying.cancel()


def main() -> None:
    settings = get_settings()
    configure_logging(level=settings.log_level, json_lines=settings.log_format == "json")
    if not settings.temporal_address:
        raise SystemExit("Set TEMPORAL_ADDRESS (host:port) to the Temporal frontend to poll.")
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(run(settings))


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """libuv's event loop where uvloop is installed (a dependency wherever it builds), which
    spends less CPU per order than asyncio's own loop; asyncio's loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    main()
