"""One rule for every text a client sends (path, query, JSON body): no NUL characters.

PostgreSQL text cannot hold U+0000, so such a value would fail deep in the store; it is refused
up front, for every operation at once, as a 422 naming where it was found."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MESSAGE = "NUL characters (\\u0000) are not allowed in text"


def _nul_locations(value: Any, where: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        if NUL in value:
            yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield (*where, key)
            yield from _nul_locations(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_locations(item, (*where, index))


async def reject_nul_characters(request: Request) -> None:
    found = [
        *(("path", name) for name, value in request.path_params.items() if NUL in str(value)),
        *(("query", name) for name, value in request.query_params.multi_items() if NUL in value),
    ]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPES):
        # A form post (the console's): its fields, parsed once; reading the raw body after the
        # route has parsed the form would fail, the stream being consumed.
        form = await request.form()
        found.extend(
            ("body", name)
            for name, value in form.multi_items()
            if isinstance(value, str) and NUL in value
        )
        body = b""
    else:
        body = await request.body()
    if body and (b"\\u0000" in body.lower() or b"\x00" in body):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None  # not JSON at all: the body's own validation says so
        found.extend(_nul_locations(parsed, ("body",)))
    if found:
        raise RequestValidationError(
            [{"type": "nul_character", "loc": loc, "msg": MESSAGE, "input": None} for loc in found]
        )
