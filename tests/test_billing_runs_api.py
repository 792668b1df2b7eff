"""The runs' HTTP contract at its edges: refused requests are problem+json a person can act on."""

from __future__ import annotations

import httpx

from tests.recurring import customer, recurring_world


async def test_billing_run_requests_are_checked(api: httpx.AsyncClient) -> None:
    w = await recurring_world(api)
    who = await customer(api, w, "A")

    bad_period = await api.post(
        "/v1/billing-runs", json={"issuer_id": w.issuer, "period": "2026-13"}
    )
    assert bad_period.status_code == 422
    assert bad_period.headers["content-type"] == "application/problem+json"
    assert "period" in bad_period.json()["detail"]

    unknown = await api.post("/v1/billing-runs", json={"issuer_id": "nobody", "period": "2026-11"})
    assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]

    customer_issuer = await api.post(
        "/v1/billing-runs", json={"issuer_id": who, "period": "2026-11"}
    )
    assert customer_issuer.status_code == 422
    assert "issues no invoices" in customer_issuer.json()["detail"]

    bad_day = await api.post("/v1/consolidation-runs", json={"as_of": "2026-02-30"})
    assert bad_day.status_code == 422

    missing = await api.get("/v1/billing-runs/billing-run-nobody-2026-11")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_a_consolidation_run_is_not_shown_as_a_billing_run(api: httpx.AsyncClient) -> None:
    started = await api.post("/v1/consolidation-runs", json={"as_of": "2024-06-01"})
    assert started.status_code == 202
    run_id = started.json()["run_id"]
    assert run_id == "consolidation-2024-06-01"
    wrong = await api.get(f"/v1/billing-runs/{run_id}")
    assert wrong.status_code == 404 and "looks like a consolidation run" in wrong.json()["detail"]
    shown = await api.get(f"/v1/consolidation-runs/{run_id}")
    assert shown.status_code == 200 and shown.json()["kind"] == "consolidation"
