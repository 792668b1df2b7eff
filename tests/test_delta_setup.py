"""Switching delta invoicing on: licence first, then a legal entity and an accounting period;
once on it stays on. Accounting periods of one legal entity never overlap."""

from __future__ import annotations

from datetime import date

import httpx

from tests.delta import ADMIN_OF_ITS_BILLING, delta_world, put_period
from tests.world import partner_body, put


async def test_enabling_checks_the_licence_then_legal_entity_and_period_and_saves_nothing_else(
    api: httpx.AsyncClient,
) -> None:
    w = await delta_world(api, licence=False, entity=False, enable=False)
    path = f"/v1/partners/{w.issuer}/delta-invoicing"

    refused = await api.post(path, json={})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "feature not active" in refused.json()["detail"]

    assert (await api.put(f"/v1/partners/{w.issuer}/licences/DELTA_INVOICING")).status_code == 200
    neither = await api.post(path, json={})
    assert neither.status_code == 409
    assert "active legal entity" in neither.json()["detail"]
    assert "accounting period" in neither.json()["detail"]

    await put(api, f"/v1/legal-entities/{w.entity}", {"issuer_id": w.issuer, "name": "GmbH"})
    no_period = await api.post(path, json={})
    assert no_period.status_code == 409
    assert "accounting period" in no_period.json()["detail"]
    assert "legal entity" not in no_period.json()["detail"]
    shown = (await api.get(f"/v1/partners/{w.issuer}")).json()
    assert shown["delta_invoicing"] == {"enabled": False, "enabled_at": None}

    assert (await put_period(api, w, date(2026, 1, 1))).status_code == 200
    enabled = await api.post(path, json={})
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["enabled"] is True and enabled.json()["enabled_at"]

    shown = (await api.get(f"/v1/partners/{w.issuer}")).json()
    assert shown["licences"] == ["DELTA_INVOICING"]
    assert shown["delta_invoicing"] == enabled.json()

    # A full PUT of the partner never changes it, and it cannot be switched off.
    await put(api, f"/v1/partners/{w.issuer}", partner_body("Seller", "seller", w.distributor))
    assert (await api.get(f"/v1/partners/{w.issuer}")).json()["delta_invoicing"]["enabled"]
    round_trip = {k: v for k, v in shown.items() if k != "id"}
    round_trip["delta_invoicing"] = {"enabled": False, "enabled_at": None}
    await put(api, f"/v1/partners/{w.issuer}", round_trip)
    assert (await api.get(f"/v1/partners/{w.issuer}")).json()["delta_invoicing"] == enabled.json()
    disabled = await api.delete(path)
    assert disabled.status_code == 409
    assert "cannot be disabled" in disabled.json()["detail"]
    # Revoking the licence afterwards leaves it on as well.
    assert (await api.delete(f"/v1/partners/{w.issuer}/licences/DELTA_INVOICING")).json()[
        "licences"
    ] == []
    assert (await api.get(f"/v1/partners/{w.issuer}")).json()["delta_invoicing"]["enabled"]


async def test_an_inactive_legal_entity_does_not_count(api: httpx.AsyncClient) -> None:
    w = await delta_world(api, enable=False, months=[date(2026, 1, 1)])
    await put(
        api,
        f"/v1/legal-entities/{w.entity}",
        {"issuer_id": w.issuer, "name": "GmbH", "active": False},
    )
    refused = await api.post(f"/v1/partners/{w.issuer}/delta-invoicing", json={})
    assert refused.status_code == 409 and "active legal entity" in refused.json()["detail"]


async def test_periods_of_one_legal_entity_never_overlap(api: httpx.AsyncClient) -> None:
    w = await delta_world(api, months=[date(2026, 1, 1)])
    overlapping = await api.put(
        f"/v1/accounting-periods/{w.id('Q1')}",
        json={
            "issuer_id": w.issuer,
            "legal_entity_id": w.entity,
            "starts_on": "2026-01-31",
            "ends_on": "2026-03-31",
        },
    )
    assert overlapping.status_code == 409
    assert "overlaps" in overlapping.json()["detail"]
    backwards = await api.put(
        f"/v1/accounting-periods/{w.id('X')}",
        json={
            "issuer_id": w.issuer,
            "legal_entity_id": w.entity,
            "starts_on": "2026-03-31",
            "ends_on": "2026-03-01",
        },
    )
    assert backwards.status_code == 422
    assert (await put_period(api, w, date(2026, 2, 1))).status_code == 200
    listed = await api.get("/v1/accounting-periods", params={"issuer_id": w.issuer})
    assert [p["starts_on"] for p in listed.json()["items"]] == ["2026-01-01", "2026-02-01"]


async def test_a_partner_sees_only_its_own_legal_entities_periods_and_switch(
    api: httpx.AsyncClient,
) -> None:
    mine = await delta_world(api, months=[date(2026, 1, 1)])
    other = await delta_world(api, months=[date(2026, 1, 1)])
    token = (
        await api.post(f"/v1/partners/{mine.issuer}/tokens", json=ADMIN_OF_ITS_BILLING)
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    own = await api.get(f"/v1/legal-entities/{mine.entity}", headers=headers)
    assert own.status_code == 200
    for path in (
        f"/v1/legal-entities/{other.entity}",
        f"/v1/accounting-periods/{other.id('P202601')}",
    ):
        hidden = await api.get(path, headers=headers)
        assert hidden.status_code == 404, path
    listed = await api.get(
        "/v1/accounting-periods", params={"issuer_id": other.issuer}, headers=headers
    )
    assert listed.json()["items"] == []
    switch = await api.post(
        f"/v1/partners/{other.issuer}/delta-invoicing", json={}, headers=headers
    )
    assert switch.status_code == 404
    licence = await api.put(f"/v1/partners/{mine.issuer}/licences/DELTA_INVOICING", headers=headers)
    assert licence.status_code == 403
