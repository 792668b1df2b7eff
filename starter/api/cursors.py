"""Pagination cursors as clients see them: the store's keyset cursor plus an HMAC over it and the
listing's path, so a tampered, forged or borrowed cursor is refused (400) before any query runs.
The key is BILLING_CURSOR_KEY, or one derived from the admin token when that is empty."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Query, Request

from billing.contracts.common import Page
from billing.errors import InvalidCursor
from billing.settings import Settings
from billing.store.pagination import START_AGAIN

T = TypeVar("T")
_MAC_BYTES = 16


def cursor_key(settings: Settings) -> bytes:
    if settings.cursor_key:
        return settings.cursor_key.encode()
    return hmac.new(settings.admin_token.encode(), b"pagination cursors", hashlib.sha256).digest()


def _mac(key: bytes, listing: str, inner: str) -> str:
    digest = hmac.new(key, f"{listing}\n{inner}".encode(), hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(key: bytes, listing: str, inner: str) -> str:
    return f"{inner}.{_mac(key, listing, inner)}"


def verify(key: bytes, listing: str, cursor: str) -> str:
    inner, dot, mac = cursor.rpartition(".")
    if not dot or not hmac.compare_digest(mac.encode(), _mac(key, listing, inner).encode()):
        raise InvalidCursor(START_AGAIN)
    return inner


@dataclass(frozen=True)
class PageCursor:
    """What a listing route gets: the verified store cursor (`after`) and how to sign the next."""

    after: str | None
    key: bytes
    listing: str

    def signed(self, page: Page[T]) -> Page[T]:
        if page.next_cursor is None:
            return page
        return page.model_copy(
            update={"next_cursor": sign(self.key, self.listing, page.next_cursor)}
        )


async def page_cursor(
    request: Request,
    cursor: str | None = Query(
        None, max_length=1000, description="`next_cursor` of the previous page; omit for the first."
    ),
) -> PageCursor:
    settings: Settings = request.app.state.settings
    key = cursor_key(settings)
    listing = request.url.path
    return PageCursor(verify(key, listing, cursor) if cursor else None, key, listing)
