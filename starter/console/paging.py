"""The API's signed cursors, for the console's own pages: the same signing, with the console
page (and the table on it) as the listing a cursor belongs to."""

from __future__ import annotations

from fastapi import Request

from billing.settings import Settings
from starter.api.cursors import PageCursor, cursor_key, verify


def console_cursor(request: Request, cursor: str | None, listing: str) -> PageCursor:
    settings: Settings = request.app.state.settings
    key = cursor_key(settings)
    return PageCursor(verify(key, listing, cursor) if cursor else None, key, listing)
