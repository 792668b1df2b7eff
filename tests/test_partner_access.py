"""Who may see and do what: every partner sees itself and the level below, acts only for itself,
and anything else answers as if it did not exist. One table per kind of question, one row per
resource, one column per role; revoked and expired tokens are refused (401) on every row."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, update
from temporalio.client import Client

from billing.schema import partner_tokens
from tests.summary_world import (
    build_summary_world,
    created,
    make_invoice,
    request_summaries,
    wait_state,
)
from tests.world import billed, order_body, report

ROLES = ("admin", "distributor", "seller", "customer", "other_seller", "other_customer")
ALL_SCOPES = ["read", "orders", "billing-admin"]


@dataclass
class Scene:
    """Resources of one seller, its distributor and its customer, and a client per role."""

    ids: dict[str, str]
    clients: dict[str, httpx.AsyncClient]

    def path(self, template: str) -> str:
        return template.format(**self.ids)


async def token(
    api: httpx.AsyncClient, partner_id: str, scopes: list[str] = ALL_SCOPES, **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        f"/v1/partners/{partner_id}/tokens", json={"label": "access", "scopes": scopes, **extra}
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def client_with(api: httpx.AsyncClient, secret: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=api._transport,
        base_url=str(api.base_url),
        headers={"Authorization": f"Bearer {secret}"},
    )


@pytest.fixture
async def scene(api: httpx.AsyncClient, engine: Engine, temporal: Client) -> AsyncIterator[Scene]:
    sw = await build_summary_world(api)
    offer = sw.offers["EUR"]
    seller_order = f"ACCESS-S-{sw.suffix}"
    dist_order = f"ACCESS-D-{sw.suffix}"
    for number, issuer, customer in (
        (seller_order, sw.seller, sw.c1),
        (dist_order, sw.distributor, sw.seller),
    ):
        submitted = await api.post(
            "/v1/orders", json=order_body(number, issuer, customer, [("1", offer, 2)])
        )
        assert submitted.status_code == 202, submitted.text
        assert (await report(api, number, "1", "succeeded")).status_code == 200
        await billed(temporal, number)
    paid = await api.post(f"/v1/orders/{dist_order}/manual-payment", json={"operator": "ops"})
    assert paid.status_code == 200, paid.text
    subscription = (await api.get("/v1/subscriptions", params={"customer_id": sw.c1})).json()
    seller_invoice = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)])
    dist_invoice = make_invoice(engine, sw, sw.distributor, [(sw.seller, 1)])
    answer = await request_summaries(api, sw.seller, [seller_invoice])
    [summary_id] = await created(temporal, answer["request_id"])
    await wait_state(api, summary_id, "TaxCompleted")
    ids = {
        "distributor": sw.distributor,
        "seller": sw.seller,
        "customer": sw.c1,
        "other_seller": sw.seller_off,
        "other_customer": sw.c2,
        "seller_order": seller_order,
        "dist_order": dist_order,
        "subscription": subscription["items"][0]["id"],
        "seller_invoice": seller_invoice,
        "dist_invoice": dist_invoice,
        "summary": summary_id,
        "summary_request": answer["request_id"],
        "run": f"billing-run-{sw.seller}-2026-11",
        "offer": offer,
    }
    clients = {"admin": api}
    for role in ROLES[1:]:
        clients[role] = client_with(api, (await token(api, ids[role]))["token"])
    revoked = await token(api, sw.seller)
    gone = await api.delete(f"/v1/partners/{sw.seller}/tokens/{revoked['id']}")
    assert gone.status_code == 200 and gone.json()["revoked_at"]
    clients["revoked"] = client_with(api, revoked["token"])
    expired = await token(api, sw.seller)
    with engine.begin() as conn:
        conn.execute(
            update(partner_tokens)
            .where(partner_tokens.c.id == uuid.UUID(expired["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    clients["expired"] = client_with(api, expired["token"])
    yield Scene(ids, clients)
    for role, client in clients.items():
        if role != "admin":
            await client.aclose()


# What each role gets for one resource. 200/202 allowed; 404 "no such thing" (so nothing is
# confirmed to exist across partners); 403 for what the role may never do whatever the id
# (administration, or acting for another partner).
#   resource                        method path                                 admin dist seller cust o.sel o.cust
READS = [
    ("seller's partner record",       "GET", "/v1/partners/{seller}",              (200, 200, 200, 404, 404, 404)),
    ("other seller's partner record", "GET", "/v1/partners/{other_seller}",        (200, 200, 404, 404, 200, 404)),
    ("customer's partner record",     "GET", "/v1/partners/{customer}",            (200, 404, 200, 200, 404, 404)),
    ("distributor's partner record",  "GET", "/v1/partners/{distributor}",         (200, 200, 404, 404, 404, 404)),
    ("seller's order",                "GET", "/v1/orders/{seller_order}",          (200, 404, 200, 404, 404, 404)),
    ("distributor's order to seller", "GET", "/v1/orders/{dist_order}",            (200, 200, 404, 404, 404, 404)),
    ("customer's subscription",       "GET", "/v1/subscriptions/{subscription}",   (200, 404, 200, 200, 404, 404)),
    ("seller's invoice to customer",  "GET", "/v1/invoices/{seller_invoice}",      (200, 404, 200, 200, 404, 404)),
    ("distributor's invoice to seller", "GET", "/v1/invoices/{dist_invoice}",      (200, 200, 200, 404, 404, 404)),
    ("seller's invoice PDF",          "GET", "/v1/invoices/{seller_invoice}/pdf",  (200, 404, 200, 200, 404, 404)),
    ("distributor's invoice PDF",     "GET", "/v1/invoices/{dist_invoice}/pdf",    (200, 200, 200, 404, 404, 404)),
    ("summary invoice",               "GET", "/v1/summary-invoices/{summary}",     (200, 404, 200, 200, 404, 404)),
    ("summary's tax invoice PDF",     "GET", "/v1/summary-invoices/{summary}/pdf", (200, 404, 200, 200, 404, 404)),
    ("summary request",               "GET", "/v1/summary-invoice-requests/{summary_request}", (200, 404, 200, 404, 404, 404)),
    ("an offer of the catalogue",     "GET", "/v1/offers/{offer}",                 (200, 200, 200, 200, 200, 200)),
    ("partner's tokens",              "GET", "/v1/partners/{seller}/tokens",       (200, 403, 403, 403, 403, 403)),
    ("month-end run",                 "GET", "/v1/billing-runs/{run}",             (404, 403, 403, 403, 403, 403)),
]  # fmt: skip

# What each list shows of the scene's resources, per role.
#   list                  path                  admin, distributor, seller, customer, other seller, other customer
LISTS: list[tuple[str, str, str, tuple[set[str], ...]]] = [
    ("orders", "/v1/orders", "order_number", (
        {"seller_order", "dist_order"}, {"dist_order"}, {"seller_order"}, set(), set(), set())),
    ("invoices", "/v1/invoices", "id", (
        {"seller_invoice", "dist_invoice", "summary"}, {"dist_invoice"},
        {"seller_invoice", "dist_invoice", "summary"}, {"seller_invoice", "summary"}, set(), set())),
    ("summary invoices", "/v1/summary-invoices", "id", (
        {"summary"}, set(), {"summary"}, {"summary"}, set(), set())),
    ("subscriptions", "/v1/subscriptions", "id", (
        {"subscription"}, set(), {"subscription"}, {"subscription"}, set(), set())),
    ("billing lines by order", "/v1/billings", "order_number", (
        {"seller_order", "dist_order"}, {"dist_order"}, {"seller_order", "dist_order"},
        {"seller_order"}, set(), set())),
]  # fmt: skip


def writes(ids: dict[str, str]) -> list[tuple[str, str, str, Any, tuple[int, ...]]]:
    """Writes, each harmless to repeat (an identical report is a no-op, paying twice a 409)."""
    run = {"issuer_id": ids["seller"], "period": "2000-01"}
    by_hand = {"outcome": "succeeded", "reason": "seen in the vendor portal", "operator": "ops"}
    return [
        #  operation                method  path                                              body                      admin dist seller cust o.sel o.cust
        ("report provisioning",     "POST", "/v1/orders/{seller_order}/items/1/provisioning", {"outcome": "succeeded"}, (200, 404, 200, 404, 404, 404)),
        ("report several outcomes", "POST", "/v1/orders/{seller_order}/provisioning",         {"items": [{"item_id": "1", "outcome": "succeeded"}]}, (200, 404, 200, 404, 404, 404)),
        ("record outcome by hand",  "POST", "/v1/orders/{seller_order}/items/1/manual-outcome", by_hand,               (200, 404, 200, 404, 404, 404)),
        ("pay a paid order again",  "POST", "/v1/orders/{dist_order}/manual-payment",         {"operator": "ops"},      (409, 409, 404, 404, 404, 404)),
        ("retry a summary's tax",   "POST", "/v1/summary-invoices/{summary}/tax-sync/retry",  None,                     (409, 404, 409, 403, 404, 404)),
        ("start a month-end run",   "POST", "/v1/billing-runs",                               run,                      (202, 403, 403, 403, 403, 403)),
        ("change a partner",        "PUT",  "/v1/partners/{customer}",                        None,                     (422, 403, 403, 403, 403, 403)),
        ("change a subscription",   "PATCH", "/v1/subscriptions/{subscription}",              {},                       (422, 403, 403, 403, 403, 403)),
        ("issue a token",           "POST", "/v1/partners/{customer}/tokens",                 {"label": "x"},           (201, 403, 403, 403, 403, 403)),
    ]  # fmt: skip


async def check(scene: Scene, role: str, method: str, path: str, body: Any, want: int) -> None:
    response = await scene.clients[role].request(method, scene.path(path), json=body)
    assert response.status_code == want, (role, method, path, response.text)
    if want >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def for_every_role(row: tuple[int, ...]) -> list[tuple[str, int]]:
    return [*zip(ROLES, row, strict=True), ("revoked", 401), ("expired", 401)]


async def test_each_role_reads_exactly_its_own_resources(scene: Scene) -> None:
    for _resource, method, path, row in READS:
        for role, want in for_every_role(row):
            await check(scene, role, method, path, None, want)


async def every_page(client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    """Every item, following the signed cursors (the administrator sees the whole database)."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await client.get(
            path, params={"limit": 500, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, (path, page.text)
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def test_each_role_lists_exactly_its_own_resources(scene: Scene) -> None:
    names = {value: name for name, value in scene.ids.items()}
    for _name, path, key, row in LISTS:
        for role, want in zip(ROLES, row, strict=True):
            items = await every_page(scene.clients[role], path)
            assert {names[item[key]] for item in items if item[key] in names} == want, (role, path)
        for role in ("revoked", "expired"):
            assert (await scene.clients[role].get(path)).status_code == 401


async def test_each_role_changes_only_what_it_may(scene: Scene) -> None:
    for _operation, method, path, body, row in writes(scene.ids):
        for role, want in for_every_role(row):
            await check(scene, role, method, path, body, want)


async def test_a_partner_submits_orders_only_as_their_issuer(
    scene: Scene, api: httpx.AsyncClient
) -> None:
    order = (await api.get(scene.path("/v1/orders/{seller_order}"))).json()
    body = order_body(
        order["order_number"],
        order["issuer_id"],
        order["customer_id"],
        [(i["item_id"], i["offer_id"], i["quantity"]) for i in order["items"]],
    )
    answers = {role: await scene.clients[role].post("/v1/orders", json=body) for role in ROLES}
    assert {role: r.status_code for role, r in answers.items()} == {
        "admin": 202, "distributor": 403, "seller": 202,
        "customer": 403, "other_seller": 403, "other_customer": 403,
    }  # fmt: skip
    in_batches = {
        role: await scene.clients[role].post("/v1/orders/batch", json={"orders": [body]})
        for role in ROLES
    }
    assert {role: r.status_code for role, r in in_batches.items()} == {
        role: r.status_code for role, r in answers.items()
    }
    assert {role: r.json()["detail"] for role, r in in_batches.items() if r.status_code == 403} == {
        role: r.json()["detail"] for role, r in answers.items() if r.status_code == 403
    }
    assert answers["seller"].headers["Idempotent-Replayed"] == "true"
    # The refusal names only the caller and what it asked for, whether the issuer exists or not.
    ghost = {**body, "issuer_id": "nobody-at-all"}
    for role in ("other_seller", "customer"):
        refused = await scene.clients[role].post("/v1/orders", json=ghost)
        assert refused.status_code == 403
        assert (
            refused.json()["detail"].replace("nobody-at-all", scene.ids["seller"])
            == answers[role].json()["detail"]
        )


async def test_another_issuers_invoice_reads_as_unknown_and_nothing_is_recorded_for_it(
    scene: Scene, api: httpx.AsyncClient, engine: Engine
) -> None:
    unknown = str(uuid.uuid4())
    distributor = scene.clients["distributor"]
    body = {
        "issuer_id": scene.ids["distributor"],
        "invoice_ids": [scene.ids["seller_invoice"], unknown],
        "invoice_date": "2026-11-30",
    }
    for path in ("/v1/summary-invoices/preview", "/v1/summary-invoices"):
        answer = (await distributor.post(path, json=body)).json()
        foreign, missing = answer["invoices_skipped"]
        assert answer["invoices_added"] == 0
        assert {k: v for k, v in foreign.items() if k != "invoice_id"} == {
            k: v for k, v in missing.items() if k != "invoice_id"
        }
        assert foreign["reason"] == "not_found"
    # The seller's invoice was not touched: still consolidated once, in its own summary.
    invoice = (await api.get(scene.path("/v1/invoices/{seller_invoice}"))).json()
    assert invoice["summary_invoice"].startswith("Created (")


async def test_scopes_limit_a_token_to_what_its_holder_needs(
    scene: Scene, api: httpx.AsyncClient
) -> None:
    seller = scene.ids["seller"]
    reader = client_with(api, (await token(api, seller, ["read"]))["token"])
    order_system = client_with(api, (await token(api, seller, ["orders"]))["token"])
    default = await api.post(f"/v1/partners/{seller}/tokens", json={"label": "default"})
    assert default.json()["scopes"] == ["orders", "read"]
    report_path = scene.path("/v1/orders/{seller_order}/items/1/provisioning")
    preview = {"issuer_id": seller, "invoice_ids": [scene.ids["seller_invoice"]],
               "invoice_date": "2026-11-30"}  # fmt: skip
    async with reader, order_system:
        assert (await reader.get(scene.path("/v1/orders/{seller_order}"))).status_code == 200
        refused = await reader.post(report_path, json={"outcome": "succeeded"})
        assert refused.status_code == 403 and "`orders` scope" in refused.json()["detail"]
        assert (await order_system.post(report_path, json={"outcome": "succeeded"})).is_success
        assert (await order_system.get("/v1/invoices")).status_code == 403
        billing = await order_system.post("/v1/summary-invoices/preview", json=preview)
        assert billing.status_code == 403 and "billing-admin" in billing.json()["detail"]


async def test_tokens_are_listed_without_secrets_and_record_their_last_use(
    scene: Scene, api: httpx.AsyncClient
) -> None:
    seller = scene.ids["seller"]
    assert (await scene.clients["seller"].get("/v1/invoices")).status_code == 200
    listed = (await api.get(f"/v1/partners/{seller}/tokens")).json()
    assert {t["label"] for t in listed} == {"access"}
    assert all("token" not in t and "token_hash" not in t for t in listed)
    used = [t for t in listed if t["last_used_at"]]
    revoked = [t for t in listed if t["revoked_at"]]
    assert len(used) >= 1 and len(revoked) == 1
    assert all(t["scopes"] == sorted(ALL_SCOPES) for t in listed)
    again = await api.delete(f"/v1/partners/{seller}/tokens/{revoked[0]['id']}")
    assert again.json()["revoked_at"] == revoked[0]["revoked_at"]
    other = scene.ids["other_seller"]
    assert (await api.delete(f"/v1/partners/{other}/tokens/{revoked[0]['id']}")).status_code == 404
    past = await api.post(
        f"/v1/partners/{seller}/tokens", json={"expires_at": "2020-01-01T00:00:00Z"}
    )
    assert past.status_code == 422 and "future" in past.json()["detail"]
