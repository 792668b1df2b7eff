"""Keyset cursors: the last row's sort key, so pages stay stable while rows are added. The API
signs them before handing them out (starter.api.cursors), so a client cannot forge a key."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, cast, tuple_

from billing.errors import InvalidCursor, InvalidRequest

START_AGAIN = "The cursor is not one this API handed out; start from the first page (no cursor)."
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, length: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        key = None
    if not isinstance(key, list) or len(key) != length:
        raise InvalidCursor(START_AGAIN)
    return key


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}.")
    return limit


def keyset_page(
    conn: Connection,
    query: Select[Any],
    *,
    order: Sequence[ColumnElement[Any]],
    descending: bool = False,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[RowMapping], str | None]:
    """One page of `query` ordered by `order` (every column selected, the last one unique), and
    the cursor for the next page."""
    size = clamp_limit(limit)
    after = decode_cursor(cursor, length=len(order))
    if after is not None:
        key = tuple_(*order)
        bound = tuple_(
            *[cast(value, column.type) for column, value in zip(order, after, strict=True)]
        )
        query = query.where(key < bound if descending else key > bound)
    query = query.order_by(*[c.desc() if descending else c.asc() for c in order]).limit(size + 1)
    rows = list(conn.execute(query).mappings())
    next_cursor = encode_cursor([rows[size - 1][c] for c in order]) if len(rows) > size else None
    return rows[:size], next_cursor
