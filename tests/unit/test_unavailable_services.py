"""A request that Temporal or the database did not answer is a 503 with Retry-After, which a
client retries; anything else unexpected is a 500 with an error id."""

from __future__ import annotations

import json

import pytest
from temporalio.service import RPCError, RPCStatusCode

from starter.api.problems import problem_for_unexpected


@pytest.mark.parametrize(
    "status",
    [
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        # The SDK's own timeout on a call, as an overloaded server leaves it.
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    ],
)
def test_a_temporal_call_without_an_answer_is_a_503_to_retry(status: RPCStatusCode) -> None:
    response = problem_for_unexpected(RPCError("Timeout expired", status, b""), "POST /v1/orders")

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = json.loads(bytes(response.body))
    assert "Temporal" in body["detail"] and "retry" in body["detail"]


def test_any_other_temporal_refusal_is_a_500_with_an_error_id() -> None:
    response = problem_for_unexpected(
        RPCError("Namespace default is not found.", RPCStatusCode.NOT_FOUND, b""),
        "POST /v1/orders",
    )

    assert response.status_code == 500
    body = json.loads(bytes(response.body))
    assert body["error_id"] in body["detail"]
