"""The two reference invoice-grouping examples (subscriptions; order line items), written out
as billing administrators know them and run through the real API, worker, Temporal and
PostgreSQL: the month-end run must make exactly INV001-INV004 with their bill-to contacts and
payment terms."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from temporalio.client import Client

from billing.periods import Period
from tests.recurring import (
    customer,
    invoices,
    month_end,
    provisioned_order,
    recurring_world,
    short_number,
    subscriptions_by_item,
    this_period,
)

NET = {"Due Upon Receipt": "due_upon_receipt", "Net 30": "net_30", "Net 60": "net_60"}


def due(period: str, term: str) -> str:
    days = {"due_upon_receipt": 0, "net_30": 30, "net_60": 60}[term]
    return (Period.parse(period).last_day + timedelta(days=days)).isoformat()


async def test_example_1_invoice_grouping_for_subscriptions(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    # Account Number: A001, Bill To Contact: Tom Lee, Payment Term: Due Upon Receipt
    w = await recurring_world(api)
    a001 = await customer(
        api, w, "A001", bill_to_contact="Tom Lee", payment_term=NET["Due Upon Receipt"]
    )
    # Subscription Number | Bill To Contact | Payment Term | Invoice Group Number
    subscriptions = {
        "S001": ("Ray Lockman", "Net 60", "PO #1"),
        "S002": ("Ray Lockman", "Net 60", "PO #1"),
        "S003": ("Ray Lockman", "Net 60", "PO #2"),
        "S004": ("Ray Lockman", "Net 60", "PO #2"),
        "S005": ("Steve America", "Net 30", None),
        "S006": (None, None, None),
    }
    # Invoice Number | subscriptions | Bill To Contact | Payment Term
    expected = {
        "INV001": (["S001", "S002"], "Ray Lockman", "Net 60"),
        "INV002": (["S003", "S004"], "Ray Lockman", "Net 60"),
        "INV003": (["S005"], "Steve America", "Net 30"),
        "INV004": (["S006"], "Tom Lee", "Due Upon Receipt"),
    }
    await provisioned_order(
        api,
        temporal,
        w.id("EX1"),
        w.issuer,
        a001,
        [{"item_id": name, "offer_id": w.e5, "quantity": 1} for name in subscriptions],
    )
    # The subscriptions get their grouping fields afterwards, as an administrator would set them.
    subs = await subscriptions_by_item(api, a001)
    for name, (bill_to, term, group) in subscriptions.items():
        change = {
            key: value
            for key, value in (
                ("bill_to_contact", bill_to),
                ("payment_term", NET[term] if term else None),
                ("invoice_group_number", group),
            )
            if value is not None
        }
        if change:
            patched = await api.patch(f"/v1/subscriptions/{subs[name]['id']}", json=change)
            assert patched.status_code == 200, patched.text
            assert patched.json()["invoice_group_number"] == group

    period = this_period()
    result, shown = await month_end(api, temporal, w.issuer, period)
    assert (result.invoices_created, result.lines_invoiced) == (4, 6)
    assert shown["status"] == "completed"
    assert (shown["invoices_created"], shown["lines_invoiced"]) == (4, 6)

    by_sub_id = {s["id"]: name for name, s in subs.items()}
    made = await invoices(api, issuer_id=w.issuer, type="periodic")
    got = {
        short_number(inv["number"]): (
            sorted(by_sub_id[line["subscription_id"]] for line in inv["lines"]),
            inv["bill_to_contact"],
            inv["payment_term"],
        )
        for inv in made
    }
    assert got == {
        number: (subs_, bill_to, NET[term]) for number, (subs_, bill_to, term) in expected.items()
    }
    for inv in made:
        assert inv["receiver_id"] == a001 and inv["type"] == "periodic"
        assert inv["due_date"] == due(period, inv["payment_term"])
        assert {line["receiver_id"] for line in inv["lines"]} == {a001}
    groups = {short_number(inv["number"]): inv["invoice_group_number"] for inv in made}
    assert groups == {"INV001": "PO #1", "INV002": "PO #2", "INV003": None, "INV004": None}


async def test_example_2_invoice_grouping_for_order_line_items(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    # Account Number: A001, Bill To Contact: Tom Lee, Payment Term: Due Upon Receipt
    w = await recurring_world(api)
    a001 = await customer(
        api, w, "A001", bill_to_contact="Tom Lee", payment_term=NET["Due Upon Receipt"]
    )
    # OLI Name | Bill To Contact | Sold To Contact | Invoice Group Number
    # (the sold-to contact is not part of the grouping key: OLI3 and OLI4 share INV002)
    line_items = {
        "OLI1": ("Ray Lockman", "Sold To 1", "Group1"),
        "OLI2": ("Ray Lockman", "Sold To 1", "Group1"),
        "OLI3": ("Ray Lockman", "Sold To 2", "Group2"),
        "OLI4": ("Ray Lockman", "Sold To 3", "Group2"),
        "OLI5": ("Ray Lockman", "Sold To 3", "Group4"),
        "OLI6": ("Ray Lockman", "Sold To 3", "Group5"),
    }
    # Invoice Number | line items | Bill To Contact | Payment Term
    expected = {
        "INV001": (["OLI1", "OLI2"], "Ray Lockman", "Due Upon Receipt"),
        "INV002": (["OLI3", "OLI4"], "Ray Lockman", "Due Upon Receipt"),
        "INV003": (["OLI5"], "Ray Lockman", "Due Upon Receipt"),
        "INV004": (["OLI6"], "Ray Lockman", "Due Upon Receipt"),
    }
    number = w.id("EX2")
    await provisioned_order(
        api,
        temporal,
        number,
        w.issuer,
        a001,
        [
            {
                "item_id": name,
                "offer_id": w.acrobat,
                "quantity": 2,
                "bill_to_contact": bill_to,
                "invoice_group_number": group,
            }
            for name, (bill_to, _sold_to, group) in line_items.items()
        ],
    )
    order = (await api.get(f"/v1/orders/{number}")).json()
    assert {i["item_id"]: i["invoice_group_number"] for i in order["items"]} == {
        name: group for name, (_b, _s, group) in line_items.items()
    }

    period = this_period()
    result, _ = await month_end(api, temporal, w.issuer, period)
    assert (result.invoices_created, result.lines_invoiced) == (4, 6)
    made = await invoices(api, issuer_id=w.issuer, type="periodic")
    got = {
        short_number(inv["number"]): (
            sorted(line["item_id"] for line in inv["lines"]),
            inv["bill_to_contact"],
            inv["payment_term"],
        )
        for inv in made
    }
    assert got == {
        number: (items, bill_to, NET[term]) for number, (items, bill_to, term) in expected.items()
    }
    totals = {short_number(inv["number"]): inv["total"] for inv in made}
    assert totals == {"INV001": "50.00", "INV002": "50.00", "INV003": "25.00", "INV004": "25.00"}
    assert all(inv["due_date"] == due(period, "due_upon_receipt") for inv in made)


async def test_running_a_period_twice_invoices_nothing_new(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await recurring_world(api)
    a = await customer(api, w, "A")
    await provisioned_order(
        api,
        temporal,
        w.id("TWICE"),
        w.issuer,
        a,
        [{"item_id": "1", "offer_id": w.e5, "quantity": 3}],
    )
    period = this_period()
    first, _ = await month_end(api, temporal, w.issuer, period)
    assert (first.invoices_created, first.lines_invoiced) == (1, 1)
    again, shown = await month_end(api, temporal, w.issuer, period)
    assert (again.invoices_created, again.lines_invoiced) == (0, 0)
    assert shown["status"] == "completed" and shown["invoices_created"] == 0
    [only] = await invoices(api, issuer_id=w.issuer)
    assert short_number(only["number"]) == "INV001" and only["total"] == "90.00"
    # An earlier period has nothing of these lines: they were created in this one.
    earlier = str(Period.before(date.fromisoformat(f"{period}-01")))
    before, _ = await month_end(api, temporal, w.issuer, earlier)
    assert before.invoices_created == 0


async def test_per_vendor_grouping_makes_one_invoice_per_vendor_naming_several_receivers(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await recurring_world(api, settings={"grouping": "vendor"})
    a = await customer(api, w, "A", bill_to_contact="Ann", payment_term="net_30")
    b = await customer(api, w, "B")
    for who, number in ((a, "VA"), (b, "VB")):
        await provisioned_order(
            api,
            temporal,
            w.id(number),
            w.issuer,
            who,
            [
                {"item_id": "e5", "offer_id": w.e5, "quantity": 1, "invoice_group_number": who},
                {"item_id": "acro", "offer_id": w.acrobat, "quantity": 1},
            ],
        )
    result, _ = await month_end(api, temporal, w.issuer, this_period())
    assert (result.invoices_created, result.lines_invoiced) == (2, 4)
    made = {inv["vendor_id"]: inv for inv in await invoices(api, issuer_id=w.issuer)}
    assert set(made) == {w.msft, w.adobe}
    for inv in made.values():
        assert inv["receiver_id"] is None
        assert sorted(line["receiver_id"] for line in inv["lines"]) == sorted([a, b])
    assert made[w.msft]["total"] == "60.00" and made[w.adobe]["total"] == "25.00"
