"""Pagination cursors as clients see them: the store's keyset cursor plus an HMAC over it, the
listing's path and, for a listing that sorts, the order asked for; so a tampered, forged or
borrowed cursor, or one handed out under another order, is refused (400) before any query runs.
The key is BILLING_CURSOR_KEY, or one derived from the admin token when that is empty."""

from __future__ import annotations

import base64
import dataclasses
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


_START_AGAIN_IN_ORDER = (
    "The cursor is not one this API handed out for this listing in this order; start from the "
    "first page (no cursor), or page on with the `sort` the cursor came with."
)


def verify(key: bytes, listing: str, cursor: str, *, refusal: str = START_AGAIN) -> str:
    inner, dot, mac = cursor.rpartition(".")
    if not dot or not hmac.compare_digest(mac.encode(), _mac(key, listing, inner).encode()):
        raise InvalidCursor(refusal)
    return inner


@dataclass(frozen=True)
class PageCursor:
    """What a listing route gets: the cursor as sent, checked when the route takes the store's
    cursor from it (`after`), and how to sign the next."""

    sent: str | None
    key: bytes
    listing: str
    sort: str | None = None

    def sorted_by(self, sort: str) -> PageCursor:
        """The cursor of a listing in the order `sort`. One handed out under another order is a
        position in another sequence (its key may not even be of the same type), so it is
        refused rather than read as a position in this one."""
        return dataclasses.replace(self, sort=sort)

    @property
    def _signed_for(self) -> str:
        return self.listing if self.sort is None else f"{self.listing}?sort={self.sort}"

    @property
    def after(self) -> str | None:
        if self.sent is None:
            return None
        refusal = START_AGAIN if self.sort is None else _START_AGAIN_IN_ORDER
        return verify(self.key, self._signed_for, self.sent, refusal=refusal)

    def signed(self, page: Page[T]) -> Page[T]:
        if page.next_cursor is None:
            return page
        return page.model_copy(
            update={"next_cursor": sign(self.key, self._signed_for, page.next_cursor)}
        )


async def page_cursor(
    request: Request,
    cursor: str | None = Query(
        None,
        max_length=1000,
        description="`next_cursor` of the previous page, asked for in the same `sort` where the "
        "listing sorts; omit for the first.",
    ),
) -> PageCursor:
    settings: Settings = request.app.state.settings
    key = cursor_key(settings)
    return PageCursor(cursor or None, key, request.url.path)
