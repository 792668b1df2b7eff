"""The API's signed cursors, for the console's own pages: the same signing, with the console
page (and the table on it) as the listing a cursor belongs to."""

from __future__ import annotations

from fastapi import Request

from billing.settings import Settings
from starter.api.cursors import PageCursor, cursor_key


def console_cursor(request: Request, cursor: str | None, listing: str) -> PageCursor:
    settings: Settings = request.app.state.settings
    return PageCursor(cursor or None, cursor_key(settings), listing)
