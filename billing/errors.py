"""Domain errors. The HTTP layer maps each to an RFC 9457 problem with the same message."""

from __future__ import annotations


class BillingError(Exception):
    """Base class; `detail` is written for the person who has to act on it."""

    title = "Billing error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(BillingError):
    title = "Not found"


class Conflict(BillingError):
    title = "Conflict"


class InvalidRequest(BillingError):
    title = "Invalid request"


class Forbidden(BillingError):
    """The caller is known but may not act on this partner's data."""

    title = "Forbidden"


class FeatureNotEnabled(Conflict):
    title = "Feature not enabled"


class InvalidCursor(BillingError):
    """A pagination cursor this API did not hand out (or handed out for another listing)."""

    title = "Invalid cursor"
