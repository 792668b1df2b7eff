"""The pure rules around an order: what billing it writes, who may bill whom, what a new order
must satisfy, and what a perpetual licence allows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.errors import Conflict, InvalidRequest
from billing.invoice_per_order import (
    GroupingFields,
    ItemFacts,
    ItemTerms,
    OrderFacts,
    OrderNotSettled,
    charge_key,
    order_writes,
    plan_order_billing,
)
from billing.order_validation import Party, check_offers, check_parties
from billing.partner_hierarchy import bills_directly, check_parent_level, check_parent_reference
from billing.subscriptions import ensure_end_date_may_change
from billing.vocabulary import (
    BillingType,
    ChargeKind,
    InvoiceFrequency,
    OfferCategory,
    OrderType,
    PartnerLevel,
    PaymentTerm,
    ProvisioningState,
)

PROVISIONED = datetime(2027, 1, 31, 9, tzinfo=UTC)
NO_GROUPING = GroupingFields(None, None, None)


def order(order_type: OrderType = OrderType.sales, *, resold: bool = False) -> OrderFacts:
    return OrderFacts(
        order_number="O-1",
        issuer_id="seller",
        customer_id="customer",
        type=order_type,
        resold=resold,
        aligns_end_date=False,
        issuer_invoice_per_order=True,
    )


def facts(item_id: str, state: ProvisioningState, kind: BillingType) -> ItemFacts:
    return ItemFacts(item_id, state, kind, True, 2, Decimal("10"), "EUR")


def terms(item_id: str, *, category: OfferCategory = OfferCategory.standard) -> ItemTerms:
    return ItemTerms(
        item_id=item_id,
        offer_id=f"offer-{item_id}",
        vendor_id="vendor",
        category=category,
        provisioned_at=PROVISIONED,
        perpetual=False,
        term_months=1,
        grouping=GroupingFields("G1", "Tom", PaymentTerm.net_30.value),
    )


def test_an_orders_writes_cover_every_billed_item_per_order_lines_first() -> None:
    items = [
        facts("monthly", ProvisioningState.succeeded, BillingType.recurring),
        facts("failed", ProvisioningState.failed, BillingType.one_time),
        facts("now", ProvisioningState.succeeded, BillingType.one_time),
    ]
    plan = plan_order_billing(issuer_invoice_per_order=True, items=items)
    writes = order_writes(order(), plan, {i: terms(i) for i in ("monthly", "failed", "now")})
    assert [(w.line.item_id, w.line.frequency) for w in writes.lines] == [
        ("now", InvoiceFrequency.per_order),
        ("monthly", InvoiceFrequency.monthly),
    ]
    assert [w.charge_key for w in writes.lines] == ["order:O-1:now", "order:O-1:monthly"]
    assert {w.charge_kind for w in writes.lines} == {ChargeKind.initial_sale}
    assert writes.lines[0].offer_id == "offer-now" and writes.lines[0].vendor_id == "vendor"
    assert writes.lines[0].grouping == GroupingFields("G1", "Tom", "net_30")
    [first, second] = writes.subscriptions
    assert (first.item_id, second.item_id) == ("now", "monthly")
    assert first.starts_at == PROVISIONED
    assert first.expires_at == datetime(2027, 2, 28, 9, tzinfo=UTC)  # clamped to month end
    assert first.quantity == 2 and first.grouping == GroupingFields("G1", "Tom", "net_30")


def test_a_renewal_orders_lines_charge_the_renewal_kind_of_their_offer() -> None:
    items = [facts("d", ProvisioningState.succeeded, BillingType.recurring)]
    plan = plan_order_billing(issuer_invoice_per_order=True, items=items)
    writes = order_writes(
        order(OrderType.renewal), plan, {"d": terms("d", category=OfferCategory.domain)}
    )
    assert [w.charge_kind for w in writes.lines] == [ChargeKind.domain_ssl_renewal]


def test_an_order_with_nothing_billed_writes_nothing() -> None:
    items = [facts("x", ProvisioningState.failed, BillingType.one_time)]
    plan = plan_order_billing(issuer_invoice_per_order=True, items=items)
    writes = order_writes(order(), plan, {"x": terms("x")})
    assert writes.lines == [] and writes.subscriptions == []


def test_a_billed_item_without_a_provisioning_time_is_not_settled() -> None:
    items = [facts("x", ProvisioningState.succeeded, BillingType.one_time)]
    plan = plan_order_billing(issuer_invoice_per_order=True, items=items)
    unstarted = ItemTerms(
        "x", "offer-x", "vendor", OfferCategory.standard, None, False, 1, NO_GROUPING
    )
    with pytest.raises(OrderNotSettled):
        order_writes(order(), plan, {"x": unstarted})


def test_with_delta_invoicing_a_recurring_item_starts_a_subscription_but_writes_no_line() -> None:
    items = [
        facts("cloud", ProvisioningState.succeeded, BillingType.recurring),
        facts("box", ProvisioningState.succeeded, BillingType.one_time),
    ]
    plan = plan_order_billing(issuer_invoice_per_order=True, items=items)
    delta_issuer = replace(order(), issuer_delta_invoicing=True)
    recurring = replace(terms("cloud"), billing_type=BillingType.recurring)
    writes = order_writes(delta_issuer, plan, {"cloud": recurring, "box": terms("box")})
    assert [w.line.item_id for w in writes.lines] == ["box"]
    assert sorted(s.item_id for s in writes.subscriptions) == ["box", "cloud"]
    assert {s.unit_price for s in writes.subscriptions} == {Decimal("10")}


def test_charge_keys_name_the_order_and_item() -> None:
    assert charge_key("O-7", "i2") == "order:O-7:i2"


# --- who may bill whom --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "parent_id", "refusal"),
    [
        (PartnerLevel.seller, None, "A seller needs a parent_id"),
        (PartnerLevel.customer, None, "A customer needs a parent_id"),
        (PartnerLevel.distributor, "D", "A distributor stands at the top"),
        (PartnerLevel.seller, "me", "cannot be its own parent"),
    ],
)
def test_a_parent_reference_is_refused_when_the_level_forbids_it(
    level: PartnerLevel, parent_id: str | None, refusal: str
) -> None:
    with pytest.raises(InvalidRequest, match=refusal):
        check_parent_reference(level, "me", parent_id)


def test_a_distributor_without_a_parent_and_a_seller_with_one_are_accepted() -> None:
    check_parent_reference(PartnerLevel.distributor, "D", None)
    check_parent_reference(PartnerLevel.seller, "S", "D")


@pytest.mark.parametrize(
    ("level", "parent_level", "refusal"),
    [
        (PartnerLevel.seller, None, "Unknown parent partner 'P'"),
        (PartnerLevel.seller, "seller", "A seller's parent must be a distributor; 'P' is a seller"),
        (
            PartnerLevel.customer,
            "customer",
            "A customer's parent must be a distributor or seller; 'P' is a customer",
        ),
    ],
)
def test_a_parent_of_the_wrong_level_or_none_is_refused(
    level: PartnerLevel, parent_level: str | None, refusal: str
) -> None:
    with pytest.raises(InvalidRequest, match=refusal):
        check_parent_level(level, "P", parent_level)


def test_customers_may_be_billed_by_a_seller_or_a_distributor() -> None:
    check_parent_level(PartnerLevel.customer, "P", "seller")
    check_parent_level(PartnerLevel.customer, "P", "distributor")
    assert bills_directly("S", "S") and not bills_directly("D", "S")


# --- a new order ----------------------------------------------------------------------------


SELLER = Party(PartnerLevel.seller, "D")
CUSTOMER_OF_SELLER = Party(PartnerLevel.customer, "S")


@pytest.mark.parametrize(
    ("issuer", "customer", "refusal"),
    [
        (None, CUSTOMER_OF_SELLER, "Unknown issuer 'S'"),
        (SELLER, None, "Unknown customer 'C'"),
        (Party(PartnerLevel.customer, "S"), CUSTOMER_OF_SELLER, "'S' is a customer"),
        (SELLER, Party(PartnerLevel.customer, "other"), "Unknown customer 'C' of 'S'"),
    ],
)
def test_an_order_needs_known_parties_one_level_apart(
    issuer: Party | None, customer: Party | None, refusal: str
) -> None:
    with pytest.raises(InvalidRequest, match=refusal):
        check_parties("S", "C", issuer, customer)


def test_another_partners_customer_is_refused_exactly_like_an_unknown_one() -> None:
    refusals = []
    for customer in (None, Party(PartnerLevel.customer, "other")):
        with pytest.raises(InvalidRequest) as refused:
            check_parties("S", "C", SELLER, customer)
        refusals.append(refused.value.detail)
    assert refusals[0] == refusals[1]


def test_an_order_between_a_seller_and_its_customer_is_accepted() -> None:
    check_parties("S", "C", SELLER, CUSTOMER_OF_SELLER)


def test_an_order_needs_known_offers_of_one_currency() -> None:
    check_offers({"a", "b"}, {"a": "EUR", "b": "EUR"})
    with pytest.raises(InvalidRequest, match=r"Unknown offer\(s\) \['b'\]"):
        check_offers({"a", "b"}, {"a": "EUR"})
    with pytest.raises(InvalidRequest, match=r"these offers differ: a \(EUR\), b \(USD\)"):
        check_offers({"a", "b"}, {"a": "EUR", "b": "USD"})


# --- perpetual licences -----------------------------------------------------------------------


def test_a_perpetual_one_time_licence_has_no_end_date_to_change() -> None:
    with pytest.raises(Conflict, match="never renews"):
        ensure_end_date_may_change(perpetual=True, billing_type=BillingType.one_time)
    ensure_end_date_may_change(perpetual=True, billing_type=BillingType.recurring)
    ensure_end_date_may_change(perpetual=False, billing_type=BillingType.one_time)
