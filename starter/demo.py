"""Demo data, loaded through the public API so it exercises exactly what order systems use.
Safe to load again: ids are fixed, and resubmitting orders and outcomes is idempotent."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from starter.client import BillingClient

DISTRIBUTOR, SELLER, CUSTOMER = "demo-distributor", "demo-seller", "demo-customer"
SN1, MSFT = "sentinel-one", "microsoft"

PARTNERS: list[tuple[str, dict[str, Any]]] = [
    (DISTRIBUTOR, {"name": "Demo Distribution AB", "level": "distributor", "parent_id": None}),
    (
        SELLER,
        {
            "name": "Demo Reseller Ltd",
            "level": "seller",
            "parent_id": DISTRIBUTOR,
            "settings": {"invoice_per_order": True, "summary_invoices": True},
            "country": "GB",
            "postal_address": "1 Market Street\nLondon EC1A 1AA",
            "tax_id": "GB123456789",
            "time_zone": "Europe/London",
            "locale": "en_GB",
        },
    ),
    (
        CUSTOMER,
        {
            "name": "Acme Corp",
            "level": "customer",
            "parent_id": SELLER,
            "country": "SE",
            "postal_address": "Storgatan 1\n111 22 Stockholm",
            "tax_id": "SE556677889901",
            "time_zone": "Europe/Stockholm",
            "payment_term": "net_30",
        },
    ),
]
OFFERS: list[tuple[str, dict[str, Any]]] = [
    ("sn1-security", {"vendor_id": SN1, "name": "Singularity Security", "billing_type": "one_time", "unit_price": "12.50", "perpetual": True}),
    ("sn1-data", {"vendor_id": SN1, "name": "Singularity Data", "billing_type": "one_time", "unit_price": "4.99", "perpetual": True}),
    ("ms-e5", {"vendor_id": MSFT, "name": "Office 365 E5", "billing_type": "recurring", "unit_price": "38.00"}),
]  # fmt: skip
# (order number, items, outcomes): one per invoice-per-order behaviour worth seeing in the UI.
ORDERS: list[tuple[str, list[tuple[str, str, int]], dict[str, str]]] = [
    ("DEMO-1001", [("1", "sn1-security", 5), ("2", "sn1-data", 3)], {"1": "succeeded", "2": "succeeded"}),
    ("DEMO-1002", [("1", "sn1-security", 2), ("2", "ms-e5", 10)], {"1": "succeeded", "2": "succeeded"}),
    ("DEMO-1003", [("1", "sn1-security", 1), ("2", "sn1-data", 1)], {"1": "succeeded", "2": "failed"}),
    ("DEMO-1004", [("1", "sn1-security", 7), ("2", "sn1-data", 7)], {"1": "succeeded"}),
]  # fmt: skip


def wait_for(check: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo waited {seconds:.0f} s for {what}")
        time.sleep(0.2)
    return result


def load(client: BillingClient) -> list[dict[str, Any]]:
    """Load the demo and return the per-order invoices once the workflows have made them."""
    for partner_id, body in PARTNERS:
        client.put(f"/v1/partners/{partner_id}", {"currency": "EUR", **body})
    client.put(f"/v1/vendors/{SN1}", {"name": "Sentinel One", "invoice_per_order": True})
    client.put(f"/v1/vendors/{MSFT}", {"name": "Microsoft", "invoice_per_order": False})
    for offer_id, body in OFFERS:
        client.put(f"/v1/offers/{offer_id}", {"currency": "EUR", "term_months": 12, **body})
    for number, items, outcomes in ORDERS:
        client.post(
            "/v1/orders",
            {
                "order_number": number,
                "issuer_id": SELLER,
                "customer_id": CUSTOMER,
                "items": [{"item_id": i, "offer_id": o, "quantity": q} for i, o, q in items],
            },
        )
        for item_id, outcome in outcomes.items():
            reason = "vendor rejected the activation" if outcome == "failed" else None
            client.post(
                f"/v1/orders/{number}/items/{item_id}/provisioning",
                {"outcome": outcome, "reason": reason},
            )
    expected = {"DEMO-1001", "DEMO-1002", "DEMO-1003"}

    def per_order_invoices() -> list[dict[str, Any]]:
        found = list(client.pages("/v1/invoices", issuer_id=SELLER, type="per_order"))
        return found if expected <= {i["order_number"] for i in found} else []

    return wait_for(per_order_invoices, "the per-order invoices")


def summarise(client: BillingClient, invoices: list[dict[str, Any]], day: str) -> dict[str, Any]:
    """Consolidate the per-order invoices into a summary invoice and wait for its tax sync.
    Loading again is harmless: the invoices are then skipped as already consolidated."""
    accepted = client.post(
        "/v1/summary-invoices",
        {"issuer_id": SELLER, "invoice_ids": [i["id"] for i in invoices], "invoice_date": day},
    )
    request = wait_for(
        lambda: (
            (r := client.get(f"/v1/summary-invoice-requests/{accepted['request_id']}"))["status"]
            == "complete"
            and r
        ),
        "the summary invoice request",
    )

    def taxed() -> list[dict[str, Any]]:
        found = list(client.pages("/v1/summary-invoices", issuer_id=SELLER))
        return found if all(s["state"] in {"TaxCompleted", "TaxFailed"} for s in found) else []

    return {"request": request, "summaries": wait_for(taxed, "the tax sync")}


def month_end(client: BillingClient, period: str) -> dict[str, Any]:
    """Run the month-end billing of the period now, for the monthly lines (Microsoft's E5)."""
    run = client.post("/v1/billing-runs", {"issuer_id": SELLER, "period": period})
    return wait_for(
        lambda: (
            (r := client.get(f"/v1/billing-runs/{run['run_id']}"))["status"] == "completed" and r
        ),
        "the month-end run",
    )


# Delta invoicing: an issuer that bills subscriptions per month by pre-invoice generation.
DELTA_SELLER, DELTA_CUSTOMER, DELTA_ENTITY = (
    "demo-delta-seller",
    "demo-delta-customer",
    "demo-delta-le",
)
DELTA_ORDER = "DEMO-2001"
DELTA_PARTNERS: list[tuple[str, dict[str, Any]]] = [
    (DELTA_SELLER, {"name": "Demo Delta Reseller GmbH", "level": "seller", "parent_id": DISTRIBUTOR, "country": "DE", "time_zone": "Europe/Berlin", "locale": "de_DE"}),
    (DELTA_CUSTOMER, {"name": "Beispiel AG", "level": "customer", "parent_id": DELTA_SELLER, "country": "DE"}),
]  # fmt: skip
# The quantity sold, and the one it is changed to between the two generations.
DELTA_SOLD, DELTA_CHANGED = 5, 7


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(day: date) -> date:
    return _month_start(_month_start(day) - timedelta(days=1))


def _wait_for_generation(client: BillingClient, issuer_id: str, as_of: date) -> dict[str, Any]:
    run = client.post("/v1/pre-invoice-runs", {"issuer_id": issuer_id, "as_of": as_of.isoformat()})
    return wait_for(
        lambda: (
            (r := client.get(f"/v1/pre-invoice-runs/{run['run_id']}"))["status"] == "completed"
            and r
        ),
        "the pre-invoice generation",
    )


def delta_invoicing(client: BillingClient, today: date) -> dict[str, Any]:
    """A delta-invoicing issuer with a legal entity and periods for last month and this one; a
    subscription sold from the start of last month, billed by one generation (last month in
    full), then changed and billed by a second (last month's difference, this month in full).
    Loading again is harmless: the change then has no effect and generations write nothing."""
    for partner_id, body in DELTA_PARTNERS:
        client.put(f"/v1/partners/{partner_id}", {"currency": "EUR", **body})
    client.put(f"/v1/partners/{DELTA_SELLER}/licences/DELTA_INVOICING", {})
    client.put(
        f"/v1/legal-entities/{DELTA_ENTITY}", {"issuer_id": DELTA_SELLER, "name": "Demo Delta GmbH"}
    )
    last_month = _previous_month(today)
    for first in (last_month, _month_start(today)):
        last = _month_start(first + timedelta(days=31)) - timedelta(days=1)
        client.put(
            f"/v1/accounting-periods/{DELTA_ENTITY}-{first:%Y-%m}",
            {
                "issuer_id": DELTA_SELLER,
                "legal_entity_id": DELTA_ENTITY,
                "starts_on": first.isoformat(),
                "ends_on": last.isoformat(),
            },
        )
    client.post(f"/v1/partners/{DELTA_SELLER}/delta-invoicing", {})
    client.post(
        "/v1/orders",
        {
            "order_number": DELTA_ORDER,
            "issuer_id": DELTA_SELLER,
            "customer_id": DELTA_CUSTOMER,
            "items": [{"item_id": "1", "offer_id": "ms-e5", "quantity": DELTA_SOLD}],
        },
    )
    client.post(
        f"/v1/orders/{DELTA_ORDER}/items/1/provisioning",
        {"outcome": "succeeded", "provisioned_at": f"{last_month.isoformat()}T00:00:00Z"},
    )

    def sold() -> list[dict[str, Any]]:
        found = client.pages("/v1/subscriptions", customer_id=DELTA_CUSTOMER)
        return [s for s in found if s["order_number"] == DELTA_ORDER]

    [subscription] = wait_for(sold, "the delta-invoiced subscription")
    first_run = _wait_for_generation(client, DELTA_SELLER, _month_start(today) - timedelta(days=1))
    client.patch(f"/v1/subscriptions/{subscription['id']}", {"quantity": DELTA_CHANGED})
    second_run = _wait_for_generation(client, DELTA_SELLER, today)
    pre_invoices = list(client.pages("/v1/invoices", issuer_id=DELTA_SELLER, type="pre_invoice"))
    return {"runs": [first_run, second_run], "pre_invoices": pre_invoices}
