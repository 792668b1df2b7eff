"""Signing webhook deliveries: HMAC-SHA256 with the endpoint's secret over
`<timestamp>.<body>`, so a receiver can check both who sent it and that it is fresh."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Billing-Signature"
TIMESTAMP_HEADER = "Billing-Timestamp"
EVENT_ID_HEADER = "Billing-Event-Id"
EVENT_TYPE_HEADER = "Billing-Event-Type"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `v1=<hex digest>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def verify(
    secret: str, timestamp: int, body: bytes, signature: str, *, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does: the signature matches and the timestamp is within `tolerance`
    seconds of its clock (a replayed old request is refused)."""
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def signed_headers(
    secret: str, timestamp: int, body: bytes, event_id: str, event_type: str
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
    }
