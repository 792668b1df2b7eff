"""The order-recovery workflow's input and result."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field


class OrderRecoveryInput(BaseModel):
    # Younger orders may still be between their commit and their workflow's start.
    older_than: timedelta = Field(default=timedelta(minutes=5))


class OrderRecoveryResult(BaseModel):
    checked: int
    restarted: list[str]
    # Waiting in the database but with a closed workflow (terminated by hand, say): they need
    # an operator, and a restart under the same id is refused by design.
    closed_but_waiting: list[str]
