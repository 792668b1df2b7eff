"""Billing-day consolidation through the real API, worker, Temporal and PostgreSQL:
each inclusion and exclusion rule, renewal orders, changed end dates, manual payments and the
M-vs-N configuration rule. Runs stand on days in the past (backfills), so the renewal orders
they make touch only the subscriptions these tests date there."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from billing.subscriptions import add_months
from tests.recurring import (
    RecurringWorld,
    consolidate,
    customer,
    invoices,
    month_end,
    provisioned_order,
    recurring_world,
    this_period,
)
from tests.world import partner_body, put

# Every test runs on its own day, so no two share a consolidation run.
_days = itertools.count()


def next_as_of() -> date:
    return date(2025, 1, 6) + timedelta(days=7 * next(_days))


def consolidation(**flags: bool) -> dict[str, Any]:
    return {"consolidation": {"enabled": True, "days_before_billing_day": 5, **flags}}


@dataclass
class Due:
    world: RecurringWorld
    customer: str
    as_of: date

    @property
    def billing_date(self) -> date:
        return self.as_of + timedelta(days=5)


async def due_customer(api: httpx.AsyncClient, **flags: bool) -> Due:
    """An issuer consolidating 5 days before the billing day, and a customer whose billing day
    comes 5 days after a fresh as-of day."""
    as_of = next_as_of()
    w = await recurring_world(api, settings=consolidation(**flags))
    who = await customer(
        api,
        w,
        "C",
        billing_day=(as_of + timedelta(days=5)).day,
        bill_to_contact="Ada",
        renewal_order_days=30,
        overdue_days=30,
    )
    return Due(w, who, as_of)


async def consolidated_items(api: httpx.AsyncClient, due: Due) -> list[str]:
    made = await invoices(api, receiver_id=due.customer, type="consolidated")
    for invoice in made:
        assert invoice["due_date"] == due.billing_date.isoformat()  # due on the billing day
        assert invoice["period"] == due.billing_date.isoformat()
        assert invoice["bill_to_contact"] == "Ada"
    assert len(made) <= 1, "one consolidated invoice per customer and billing day"
    return sorted(line["item_id"] for invoice in made for line in invoice["lines"])


CASES = [
    # (test id, order fields, offer attribute, issuer flags, paid by hand, included)
    ("renewal_orders_included", {"type": "renewal"}, "e5", {}, False, True),
    ("resold_sales_included", {"type": "sales", "resold": True}, "e5", {}, False, True),
    ("resold_upgrade_included", {"type": "upgrade", "resold": True}, "e5", {}, False, True),
    ("initial_sales_excluded", {"type": "sales"}, "e5", {}, False, False),
    ("upgrades_excluded", {"type": "upgrade"}, "e5", {}, False, False),
    ("overusage_excluded_when_off", {"type": "overusage"}, "e5", {}, False, False),
    (
        "overusage_included_when_on",
        {"type": "overusage"},
        "e5",
        {"include_overusage": True},
        False,
        True,
    ),
    ("domain_renewal_excluded_when_off", {"type": "renewal"}, "domain", {}, False, False),
    (
        "domain_renewal_included_when_on",
        {"type": "renewal"},
        "domain",
        {"include_domain_ssl_renewals": True},
        False,
        True,
    ),
    ("ssl_renewal_excluded_when_off", {"type": "renewal"}, "ssl", {}, False, False),
    (
        "ssl_renewal_included_when_on",
        {"type": "renewal"},
        "ssl",
        {"include_domain_ssl_renewals": True},
        False,
        True,
    ),
    (
        "alignment_renewals_excluded",
        {"type": "renewal", "aligns_end_date": True},
        "e5",
        {"include_domain_ssl_renewals": True, "include_overusage": True},
        False,
        False,
    ),
    ("paid_by_hand_excluded", {"type": "renewal"}, "e5", {}, True, False),
]


@pytest.mark.parametrize(
    ("order_fields", "offer", "flags", "paid", "included"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_consolidation_rule(
    api: httpx.AsyncClient,
    temporal: Client,
    order_fields: dict[str, Any],
    offer: str,
    flags: dict[str, bool],
    paid: bool,
    included: bool,
) -> None:
    due = await due_customer(api, **flags)
    w = due.world
    number = w.id("ORD")
    await provisioned_order(
        api,
        temporal,
        number,
        w.issuer,
        due.customer,
        [{"item_id": "x", "offer_id": getattr(w, offer), "quantity": 2}],
        **order_fields,
    )
    if paid:
        before = datetime.combine(due.as_of, datetime.min.time(), tzinfo=UTC).isoformat()
        response = await api.post(
            f"/v1/orders/{number}/manual-payment", json={"operator": "ops", "paid_at": before}
        )
        assert response.status_code == 200, response.text
        assert response.json()["paid_at"] is not None
        again = await api.post(f"/v1/orders/{number}/manual-payment", json={"operator": "ops"})
        assert again.status_code == 409

    result, shown = await consolidate(api, temporal, due.as_of.isoformat())
    assert shown["status"] == result.status == "completed" and shown["kind"] == "consolidation"
    assert shown["invoices_created"] == result.invoices_created >= (1 if included else 0)
    assert await consolidated_items(api, due) == (["x"] if included else [])

    # Whatever consolidation leaves out follows the month-end run, and nothing is billed twice.
    periodic, _ = await month_end(api, temporal, w.issuer, this_period())
    assert (periodic.invoices_created, periodic.lines_invoiced) == ((0, 0) if included else (1, 1))
    await consolidate(api, temporal, due.as_of.isoformat())
    assert await consolidated_items(api, due) == (["x"] if included else [])
    assert len(await invoices(api, receiver_id=due.customer)) == 1


async def test_renewal_orders_are_generated_n_days_before_the_end_open_and_consolidated_once(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    due = await due_customer(api)
    w = due.world
    # Ends 20 days after the as-of day: inside the 30-day renewal-order period, and before
    # the next billing day after this one, so this billing day's invoice must carry it.
    ends = datetime.combine(due.as_of + timedelta(days=20), datetime.min.time(), tzinfo=UTC)
    started = add_months(ends, -12)
    await provisioned_order(
        api,
        temporal,
        w.id("SUB"),
        w.issuer,
        due.customer,
        [{"item_id": "e5", "offer_id": w.e5, "quantity": 1, "invoice_group_number": "PO 7"}],
        provisioned_at=started.isoformat(),
    )
    # A perpetual one-time subscription dated the same way never renews.
    await put(
        api,
        f"/v1/offers/{w.id('perpetual')}",
        {
            "vendor_id": w.msft,
            "name": "perpetual",
            "billing_type": "one_time",
            "unit_price": "99.00",
            "currency": "EUR",
            "perpetual": True,
        },
    )
    await provisioned_order(
        api,
        temporal,
        w.id("PERP"),
        w.issuer,
        due.customer,
        [{"item_id": "perp", "offer_id": w.id("perpetual"), "quantity": 1}],
        provisioned_at=started.isoformat(),
    )

    result, shown = await consolidate(api, temporal, due.as_of.isoformat())
    assert shown["renewal_orders_created"] == result.renewal_orders_created >= 1
    orders = (await api.get("/v1/orders", params={"customer_id": due.customer})).json()["items"]
    renewals = [o for o in orders if o["type"] == "renewal"]
    assert [(o["items"][0]["item_id"], o["status"]) for o in renewals] == [("e5", "completed")]
    assert await consolidated_items(api, due) == ["e5"]
    [invoice] = await invoices(api, receiver_id=due.customer, type="consolidated")
    assert invoice["total"] == "30.00"

    subs = (await api.get("/v1/subscriptions", params={"customer_id": due.customer})).json()
    by_item = {s["item_id"]: s for s in subs["items"] if s["order_number"] == w.id("SUB")}
    renewed = by_item["e5"]
    assert renewed["ends_at"][:10] == (add_months(ends, 12)).date().isoformat()
    assert renewed["renewal_order_number"] is None

    # The same day again: no second renewal, no second invoice.
    again, _ = await consolidate(api, temporal, due.as_of.isoformat())
    assert (again.invoices_created, again.renewal_orders_created) == (0, 0)
    orders = (await api.get("/v1/orders", params={"customer_id": due.customer})).json()["items"]
    assert sum(o["type"] == "renewal" for o in orders) == 1
    assert len(await invoices(api, receiver_id=due.customer, type="consolidated")) == 1


async def test_renewal_orders_stay_open_until_an_invoice_takes_them(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    as_of = next_as_of()
    w = await recurring_world(api)  # no consolidation: the month-end run bills the renewal
    who = await customer(api, w, "NoBillingDay")
    ends = datetime.combine(as_of + timedelta(days=10), datetime.min.time(), tzinfo=UTC)
    await provisioned_order(
        api,
        temporal,
        w.id("SUB"),
        w.issuer,
        who,
        [{"item_id": "acro", "offer_id": w.acrobat, "quantity": 4}],
        provisioned_at=add_months(ends, -12).isoformat(),
    )
    await consolidate(api, temporal, as_of.isoformat())
    [renewal] = [
        o
        for o in (await api.get("/v1/orders", params={"customer_id": who})).json()["items"]
        if o["type"] == "renewal"
    ]
    assert renewal["status"] == "open"
    lines = (await api.get("/v1/billings", params={"issuer_id": w.issuer, "q": "R-"})).json()
    assert [(x["amount"], x["invoice_id"]) for x in lines["items"]] == [("50.00", None)]

    result, _ = await month_end(api, temporal, w.issuer, this_period())
    assert result.lines_invoiced == 2  # the original subscription's line and its renewal
    assert (await api.get(f"/v1/orders/{renewal['order_number']}")).json()["status"] == "completed"


async def test_a_changed_end_date_is_taken_as_it_is_at_run_time(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    as_of = next_as_of()
    w = await recurring_world(api, settings=consolidation())
    billing_day_date = as_of + timedelta(days=10)
    who = await customer(api, w, "C", billing_day=billing_day_date.day, bill_to_contact="Ada")
    ends = datetime.combine(as_of + timedelta(days=20), datetime.min.time(), tzinfo=UTC)
    await provisioned_order(
        api,
        temporal,
        w.id("SUB"),
        w.issuer,
        who,
        [{"item_id": "e5", "offer_id": w.e5, "quantity": 1}],
        provisioned_at=add_months(ends, -12).isoformat(),
    )
    # First run: the renewal order is made (the customer is not due yet).
    await consolidate(api, temporal, as_of.isoformat())
    subs = (await api.get("/v1/subscriptions", params={"customer_id": who})).json()["items"]
    [sub] = [s for s in subs if s["order_number"] == w.id("SUB")]
    assert sub["renewal_order_number"] is not None

    # "Change End Date" past the next billing day: the renewal waits.
    later = ends + timedelta(days=60)
    changed = await api.patch(f"/v1/subscriptions/{sub['id']}", json={"ends_at": later.isoformat()})
    assert changed.status_code == 200 and changed.json()["ends_at"][:10] == later.date().isoformat()
    run_day = (billing_day_date - timedelta(days=5)).isoformat()
    await consolidate(api, temporal, run_day)
    assert await invoices(api, receiver_id=who, type="consolidated") == []

    # Changed back before the next billing day: the same billing day's run now takes it.
    await api.patch(f"/v1/subscriptions/{sub['id']}", json={"ends_at": ends.isoformat()})
    await consolidate(api, temporal, run_day)
    [invoice] = await invoices(api, receiver_id=who, type="consolidated")
    assert invoice["due_date"] == billing_day_date.isoformat()
    assert [line["subscription_id"] for line in invoice["lines"]] == [sub["id"]]


async def test_m_outside_the_renewal_order_or_overdue_period_is_refused(
    api: httpx.AsyncClient,
) -> None:
    w = await recurring_world(api)
    await customer(api, w, "Short", billing_day=3, renewal_order_days=7, overdue_days=20)
    settings = {"consolidation": {"enabled": True, "days_before_billing_day": 10}}
    refused = await api.put(
        f"/v1/partners/{w.issuer}",
        json=partner_body("Seller", "seller", w.distributor, settings=settings),
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    detail = refused.json()["detail"]
    assert "renewal-order period of customer" in detail and "(7 days)" in detail
    assert "M smaller than N" in detail

    ok = {"consolidation": {"enabled": True, "days_before_billing_day": 5}}
    await put(
        api,
        f"/v1/partners/{w.issuer}",
        partner_body("Seller", "seller", w.distributor, settings=ok),
    )
    # The other side: a customer whose overdue period is shorter than the issuer's M.
    late = await api.put(
        f"/v1/partners/{w.id('Late')}",
        json=partner_body("Late", "customer", w.issuer, billing_day=9, overdue_days=3),
    )
    assert late.status_code == 422
    assert "overdue period of customer" in late.json()["detail"]
    shown = (await api.get(f"/v1/partners/{w.issuer}")).json()
    assert shown["settings"]["consolidation"]["days_before_billing_day"] == 5
