"""The baseline for bench/order_latency.py: bare Temporal doing the order workflow's shape
(one signal per item, then one activity) with no API, no database and no domain code."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bare_bill")
def bare_bill(order: str) -> str:
    return order


@workflow.defn(name="BareOrder")
class BareOrderWorkflow:
    def __init__(self) -> None:
        self._reported: set[str] = set()

    @workflow.run
    async def run(self, order: str, items: int) -> str:
        await workflow.wait_condition(lambda: len(self._reported) >= items)
        return await workflow.execute_activity(
            bare_bill, order, start_to_close_timeout=timedelta(seconds=30)
        )

    @workflow.signal
    def reported(self, item_id: str) -> None:
        self._reported.add(item_id)
