"""Structured logs: one JSON object per line, carrying the request id, order number and
workflow id of whatever the line concerns.

The API binds the request id (and the order number of order routes) to context variables for
the length of a request; Temporal's activity and workflow loggers attach the workflow id to
every record they emit; this formatter puts both on the line, and derives the order number
from an order workflow's id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from temporalio import activity, workflow

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
ORDER_NUMBER: ContextVar[str | None] = ContextVar("order_number", default=None)
WORKFLOW_ID: ContextVar[str | None] = ContextVar("workflow_id", default=None)

# Order workflows are `order-<order number>` (workflows.order.workflow_id).
ORDER_WORKFLOW_PREFIX = "order-"

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_TEMPORAL = ("temporal_activity", "temporal_workflow")


@contextmanager
def log_context(
    *,
    request_id: str | None = None,
    order_number: str | None = None,
    workflow_id: str | None = None,
) -> Iterator[None]:
    """Bind what the lines logged inside concern; each value given replaces the outer one."""
    tokens = [
        (var, var.set(value))
        for var, value in (
            (REQUEST_ID, request_id),
            (ORDER_NUMBER, order_number),
            (WORKFLOW_ID, workflow_id),
        )
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def order_number_of(workflow_id: str | None) -> str | None:
    if workflow_id and workflow_id.startswith(ORDER_WORKFLOW_PREFIX):
        return workflow_id[len(ORDER_WORKFLOW_PREFIX) :]
    return None


def log_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What a line says beyond its message: context, Temporal's ids, and any `extra=`."""
    fields: dict[str, Any] = {}
    for name in _TEMPORAL:
        info = getattr(record, name, None)
        if isinstance(info, dict):
            for key in (
                "workflow_id",
                "run_id",
                "workflow_run_id",
                "workflow_type",
                "activity_type",
                "attempt",
            ):
                if info.get(key) is not None:
                    fields[key] = info[key]
    for key, value in record.__dict__.items():
        if key not in _STANDARD and key not in _TEMPORAL and not key.startswith("_"):
            fields[key] = value
    for key, var in (
        ("request_id", REQUEST_ID),
        ("order_number", ORDER_NUMBER),
        ("workflow_id", WORKFLOW_ID),
    ):
        value = var.get()
        if value is not None:
            fields.setdefault(key, value)
    order_number = order_number_of(fields.get("workflow_id"))
    if order_number is not None:
        fields.setdefault("order_number", order_number)
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **log_fields(record),
        }
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def configure_logging(*, level: str = "INFO", json_lines: bool = True) -> None:
    """Route every logger (ours, Temporal's, uvicorn's) to one stderr handler."""
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonFormatter())
        # The ids travel as fields; Temporal need not also append them to the message.
        activity.logger.activity_info_on_message = False
        workflow.logger.workflow_info_on_message = False
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
