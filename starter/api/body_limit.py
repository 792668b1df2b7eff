"""The largest request body the API reads (`BILLING_MAX_REQUEST_BYTES`). A larger one is refused
with a 413 problem as it arrives: at once when its Content-Length says so, else as soon as the
bytes received pass the limit. No client can make the API hold an unbounded body in memory.

FastAPI's own `max_body_size` is not used: it answers a declared oversize body in plain text,
replacing whatever the application answered."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starter.api.problems import problem


def refusal(limit: int) -> str:
    return (
        f"The request body is over the API's limit of {limit:,} bytes; send it in smaller "
        "requests (fewer orders or items each), or raise BILLING_MAX_REQUEST_BYTES."
    )


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class _LimitBodies:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.limit:
            await problem(413, refusal(self.limit))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Raised where the application reads its body: its handler answers it.
                    raise HTTPException(413, refusal(self.limit))
            return message

        await self.app(scope, counted, send)


def install(app: FastAPI, limit: int) -> None:
    # Inside the request log and the metrics, so a refusal is logged and counted too.
    app.add_middleware(_LimitBodies, limit=limit)
