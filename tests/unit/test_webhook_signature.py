"""Webhook signatures and bodies: what a receiver checks, without a database."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from billing.webhook_events import delivery_workflow_id, event_body
from billing.webhook_signature import sign, signed_headers, verify


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"id":"e1"}'
    expected = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_k", 1_700_000_000, body) == f"v1={expected}"


def test_a_receiver_accepts_a_fresh_signed_body_and_refuses_changes() -> None:
    body = b'{"id":"e1","type":"order.invoiced"}'
    signature = sign("secret", 1000, body)
    assert verify("secret", 1000, body, signature, now=1100)
    assert not verify("secret", 1000, body + b" ", signature, now=1100)
    assert not verify("other", 1000, body, signature, now=1100)
    assert not verify("secret", 1001, body, signature, now=1100)
    assert not verify("secret", 1000, body, signature, now=1000 + 301)


def test_headers_carry_the_timestamp_signature_and_event_id() -> None:
    headers = signed_headers("s", 42, b"{}", "e-1", "order.stuck")
    assert headers["Billing-Timestamp"] == "42"
    assert headers["Billing-Signature"] == sign("s", 42, b"{}")
    assert headers["Billing-Event-Id"] == "e-1"
    assert headers["Billing-Event-Type"] == "order.stuck"


def test_the_body_is_the_same_bytes_on_every_attempt() -> None:
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    first = event_body("e-1", "order.invoiced", at, {"b": 1, "a": "x"})
    assert first == event_body("e-1", "order.invoiced", at, {"a": "x", "b": 1})
    assert json.loads(first) == {
        "id": "e-1",
        "type": "order.invoiced",
        "created_at": "2026-12-01T12:00:00+00:00",
        "data": {"a": "x", "b": 1},
    }


def test_redeliveries_run_under_their_own_workflow_ids() -> None:
    assert delivery_workflow_id("e-1", 0) == "webhook-e-1"
    assert delivery_workflow_id("e-1", 2) == "webhook-e-1-redelivery-2"
