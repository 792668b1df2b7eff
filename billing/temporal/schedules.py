"""The Temporal Schedules of recurring billing, created idempotently at start-up:

- `billing-month-end`: on the 1st of every month, 00:30 UTC, starts `MonthEnd`, which starts
  `billing-run-<issuer>-<period>` for each issuer with uninvoiced monthly lines of the month
  that just ended;
- `billing-order-recovery`: every 15 minutes, starts `OrderRecovery`, which starts the workflow
  of any order waiting in the database without one;
- `billing-pre-invoices-month-end`: on the 1st, 00:45 UTC, starts `MonthEndPreInvoices`, which
  starts `pre-invoice-run-<issuer>-<date>-<n>` for each issuer with delta invoicing on;
- `billing-consolidation-daily`: every day, 00:15 UTC, starts `DailyConsolidation`, which
  starts `consolidation-<date>`: renewal orders due, then the consolidated invoices of the
  customers whose billing day is M days later.

Missed runs (a cluster down over midnight) are caught up within a day; overlapping runs are
skipped, the next one catches up anyway because every run bills whatever is still uninvoiced.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from billing.contracts.billing_runs import ConsolidationInput, MonthEndInput
from billing.contracts.order_recovery import OrderRecoveryInput
from billing.contracts.pre_invoices import MonthEndPreInvoicesInput
from workflows.billing_runs import DailyConsolidationWorkflow, MonthEndWorkflow
from workflows.order_recovery import OrderRecoveryWorkflow
from workflows.pre_invoices import MonthEndPreInvoicesWorkflow

MONTH_END_SCHEDULE = "billing-month-end"
CONSOLIDATION_SCHEDULE = "billing-consolidation-daily"
ORDER_RECOVERY_SCHEDULE = "billing-order-recovery"
PRE_INVOICES_SCHEDULE = "billing-pre-invoices-month-end"
CATCHUP = timedelta(days=1)


def first_of_month_at(*, minute: int) -> ScheduleSpec:
    return ScheduleSpec(
        calendars=[
            ScheduleCalendarSpec(
                day_of_month=[ScheduleRange(1)],
                hour=[ScheduleRange(0)],
                minute=[ScheduleRange(minute)],
                comment=f"00:{minute:02d} UTC on the 1st",
            )
        ]
    )


def month_end_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MonthEndWorkflow.run,
            MonthEndInput(),
            id="month-end",  # Temporal appends the scheduled time
            task_queue=task_queue,
            static_summary="Month-end billing: one run per issuer for the month that ended",
        ),
        spec=first_of_month_at(minute=30),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP),
    )


def consolidation_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DailyConsolidationWorkflow.run,
            ConsolidationInput(),
            id="daily-consolidation",
            task_queue=task_queue,
            static_summary="Renewal orders and billing-day consolidation for today",
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(0)], minute=[ScheduleRange(15)], comment="00:15 UTC daily"
                )
            ]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP),
    )


def order_recovery_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            OrderRecoveryWorkflow.run,
            OrderRecoveryInput(),
            id="order-recovery",
            task_queue=task_queue,
            static_summary="Start the workflow of any waiting order that has none",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=15))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def pre_invoices_month_end_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MonthEndPreInvoicesWorkflow.run,
            MonthEndPreInvoicesInput(),
            id="pre-invoices-month-end",
            task_queue=task_queue,
            static_summary="Pre-invoice generation for every issuer with delta invoicing",
        ),
        spec=first_of_month_at(minute=45),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP),
    )


# Every schedule `ensure_schedules` keeps.
ENGINE_SCHEDULES = (
    MONTH_END_SCHEDULE,
    CONSOLIDATION_SCHEDULE,
    ORDER_RECOVERY_SCHEDULE,
    PRE_INVOICES_SCHEDULE,
)


async def ensure_schedules(client: Client, *, task_queue: str) -> list[str]:
    """Create the engine's schedules (recurring billing, order recovery), or bring existing ones
    up to date (task queue, times) without touching their state (paused, history). Safe to call
    on every start-up."""
    wanted = {
        MONTH_END_SCHEDULE: month_end_schedule(task_queue),
        CONSOLIDATION_SCHEDULE: consolidation_schedule(task_queue),
        ORDER_RECOVERY_SCHEDULE: order_recovery_schedule(task_queue),
        PRE_INVOICES_SCHEDULE: pre_invoices_month_end_schedule(task_queue),
    }
    for schedule_id, schedule in wanted.items():
        try:
            await client.create_schedule(schedule_id, schedule)
        except ScheduleAlreadyRunningError:

            def update(current: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(
                    schedule=Schedule(
                        action=new.action,
                        spec=new.spec,
                        policy=new.policy,
                        state=current.description.schedule.state,
                    )
                )

            await client.get_schedule_handle(schedule_id).update(update)
    return list(wanted)
