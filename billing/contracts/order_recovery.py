"""The order-recovery workflow's input and result, and those of each of its steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

from pydantic import BaseModel, Field, model_validator

# A sweep result names at most this many orders per list (the counts cover all of them), so a
# sweep that restarts a whole lost namespace still fits in one Temporal payload.
NAMES_KEPT = 1000


class OrderRecoveryInput(BaseModel):
    # Younger orders may still be between their commit and their workflow's start.
    older_than: timedelta = Field(default=timedelta(minutes=5))
    page_size: int = Field(default=200, ge=1, le=1000)
    # Each step is an activity that checks pages until this has passed, then hands its cursor
    # on: a sweep of any length is a series of short activities, each retried on its own.
    step_budget: timedelta = Field(default=timedelta(minutes=2))


class OrderRecoveryStep(BaseModel):
    """Check waiting orders recorded before `cutoff`, after `cursor`, for `budget`."""

    cutoff: datetime
    cursor: str | None = None
    page_size: int
    budget: timedelta


class OrderRecoveryResult(BaseModel):
    checked: int
    restarted: list[str]
    # Waiting in the database but with a closed workflow (terminated by hand, say): they need
    # an operator, and a restart under the same id is refused by design.
    closed_but_waiting: list[str]
    # Orders visibility did not list as running, so they were described one by one.
    described: int = 0
    restarted_count: int = 0
    closed_but_waiting_count: int = 0
    # Where the next step goes on; None once every waiting order was checked.
    cursor: str | None = None

    @model_validator(mode="after")
    def _counts_cover_names(self) -> Self:
        # Results recorded before the counts existed carry only the names.
        self.restarted_count = max(self.restarted_count, len(self.restarted))
        self.closed_but_waiting_count = max(
            self.closed_but_waiting_count, len(self.closed_but_waiting)
        )
        return self

    @classmethod
    def nothing_yet(cls, cursor: str | None = None) -> OrderRecoveryResult:
        return cls(checked=0, restarted=[], closed_but_waiting=[], cursor=cursor)

    def then(self, step: OrderRecoveryResult) -> OrderRecoveryResult:
        """This sweep so far, followed by `step`."""
        return OrderRecoveryResult(
            checked=self.checked + step.checked,
            restarted=(self.restarted + step.restarted)[:NAMES_KEPT],
            closed_but_waiting=(self.closed_but_waiting + step.closed_but_waiting)[:NAMES_KEPT],
            described=self.described + step.described,
            restarted_count=self.restarted_count + step.restarted_count,
            closed_but_waiting_count=self.closed_but_waiting_count + step.closed_but_waiting_count,
            cursor=step.cursor,
        )
