"""JSON log lines carry the ids of what they concern, without a database or a server."""

from __future__ import annotations

import json
import logging

from billing.structured_logs import JsonFormatter, log_context, order_number_of


def line(message: str, **extra: object) -> dict[str, object]:
    record = logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": message, **extra})
    return json.loads(JsonFormatter().format(record))


def test_a_line_inside_a_request_names_the_request_and_its_order() -> None:
    with log_context(request_id="req-1", order_number="PO-7"):
        got = line("handled")
    assert got["message"] == "handled"
    assert got["request_id"] == "req-1" and got["order_number"] == "PO-7"
    assert "request_id" not in line("outside")


def test_a_temporal_activity_line_names_its_workflow_and_the_order_it_bills() -> None:
    got = line(
        "order billed",
        temporal_activity={
            "workflow_id": "order-PO-9",
            "activity_type": "bill_order",
            "attempt": 2,
        },
        invoice_number="INV-3",
    )
    assert got["workflow_id"] == "order-PO-9"
    assert got["order_number"] == "PO-9"
    assert got["activity_type"] == "bill_order" and got["attempt"] == 2
    assert got["invoice_number"] == "INV-3"


def test_only_order_workflows_name_an_order() -> None:
    assert order_number_of("order-A-1") == "A-1"
    assert order_number_of("tax-sync-123") is None
    assert order_number_of(None) is None
