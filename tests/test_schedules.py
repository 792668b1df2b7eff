"""The recurring-billing schedules on the Temporal dev server (the time-skipping test server
does not implement Schedules: its CreateSchedule answers "unimplemented"; the scheduled
workflows are driven directly under time skipping in test_time_skipping_recurring)."""

from __future__ import annotations

import asyncio

from temporalio.client import (
    Client,
    ScheduleActionStartWorkflow,
    WorkflowExecutionStatus,
)

from billing.settings import Settings
from billing.temporal.schedules import (
    CONSOLIDATION_SCHEDULE,
    ENGINE_SCHEDULES,
    MONTH_END_SCHEDULE,
    ORDER_RECOVERY_SCHEDULE,
    PRE_INVOICES_SCHEDULE,
    ensure_schedules,
)


async def test_schedules_are_created_once_and_kept_up_to_date(
    temporal: Client, settings: Settings, worker: None
) -> None:
    assert await ensure_schedules(temporal, task_queue="elsewhere") == [
        MONTH_END_SCHEDULE,
        CONSOLIDATION_SCHEDULE,
        ORDER_RECOVERY_SCHEDULE,
        PRE_INVOICES_SCHEDULE,
    ]
    # Again at the next start-up, now with the real task queue: no error, no second schedule.
    await ensure_schedules(temporal, task_queue=settings.task_queue)
    ids = [s.id async for s in await temporal.list_schedules()]
    assert sorted(i for i in ids if i.startswith("billing-")) == sorted(
        [MONTH_END_SCHEDULE, CONSOLIDATION_SCHEDULE, ORDER_RECOVERY_SCHEDULE, PRE_INVOICES_SCHEDULE]
    )
    assert sorted(ENGINE_SCHEDULES) == sorted(i for i in ids if i.startswith("billing-"))
    recovery = await temporal.get_schedule_handle(ORDER_RECOVERY_SCHEDULE).describe()
    action = recovery.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("OrderRecovery", settings.task_queue)
    assert [i.every.total_seconds() for i in recovery.schedule.spec.intervals] == [900]

    month_end = await temporal.get_schedule_handle(MONTH_END_SCHEDULE).describe()
    action = month_end.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("MonthEnd", settings.task_queue)
    [calendar] = month_end.schedule.spec.calendars
    assert [r.start for r in calendar.day_of_month] == [1]
    assert ([r.start for r in calendar.hour], [r.start for r in calendar.minute]) == ([0], [30])

    pre_invoices = await temporal.get_schedule_handle(PRE_INVOICES_SCHEDULE).describe()
    action = pre_invoices.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("MonthEndPreInvoices", settings.task_queue)
    [calendar] = pre_invoices.schedule.spec.calendars
    assert [r.start for r in calendar.day_of_month] == [1]
    assert ([r.start for r in calendar.hour], [r.start for r in calendar.minute]) == ([0], [45])

    daily = await temporal.get_schedule_handle(CONSOLIDATION_SCHEDULE).describe()
    action = daily.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("DailyConsolidation", settings.task_queue)
    [calendar] = daily.schedule.spec.calendars
    assert ([r.start for r in calendar.hour], [r.start for r in calendar.minute]) == ([0], [15])
    assert daily.info.next_action_times, "the daily schedule has its next run planned"

    # Triggered now, the month-end schedule runs MonthEnd for the month before this one (no
    # line of the test session is that old, so it finds no issuer to bill).
    await temporal.get_schedule_handle(MONTH_END_SCHEDULE).trigger()
    statuses: list[WorkflowExecutionStatus | None] = []
    for _ in range(100):
        statuses = [wf.status async for wf in temporal.list_workflows("WorkflowType = 'MonthEnd'")]
        if statuses and all(s == WorkflowExecutionStatus.COMPLETED for s in statuses):
            break
        await asyncio.sleep(0.1)
    assert statuses and all(s == WorkflowExecutionStatus.COMPLETED for s in statuses)
