"""A database error as an activity's failure: the driver's message, without the statement and
its parameters that SQLAlchemy appends to it.

That text runs to kilobytes for the engine's set-based statements: the server keeps no more of a
pending activity's last failure than a few kilobytes, so the Temporal UI would show only "Failure
exceeds size limit." where an operator needs "could not connect" or a constraint's name, and the
parameters (customers, amounts) would be written into workflow history. The whole error, with
its statement, stays in the worker's log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)


def database_failure(error: DBAPIError) -> ApplicationError:
    """The failure to report: the driver's own message, typed as SQLAlchemy's class as before
    (retry policies and workflows match on that type), retryable as any database error."""
    message = str(error.orig).strip() or type(error.orig).__name__
    return ApplicationError(f"{type(error.orig).__name__}: {message}", type=type(error).__name__)


class DatabaseFailures(Interceptor):
    """Reports every activity's database errors, task-queue and local alike, as `database_failure`."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ReportDatabaseFailures(next)


class _ReportDatabaseFailures(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await self.next.execute_activity(input)
        except DBAPIError as error:
            activity.logger.warning("database error in activity", exc_info=error)
            raise database_failure(error) from None
