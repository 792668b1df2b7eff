"""Which order items are invoiced per order, and the plan for billing one order: its lines,
their charge kinds and grouping fields, and the subscriptions its items start.

Pure functions: the activity that bills an order feeds them facts read from the database and
writes back what they decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from billing.consolidation import charge_kind
from billing.money import line_amount, total
from billing.subscriptions import expires_at
from billing.vocabulary import (
    BillingType,
    ChargeKind,
    InvoiceFrequency,
    OfferCategory,
    OrderType,
    ProvisioningState,
)


def invoice_frequency(
    *, issuer_invoice_per_order: bool, vendor_supports_per_order: bool, billing_type: BillingType
) -> InvoiceFrequency:
    """Per order only when the issuer has the setting on, the vendor supports it and the offer is
    one-time; everything else follows the month-end run."""
    qualifies = (
        issuer_invoice_per_order
        and vendor_supports_per_order
        and billing_type is BillingType.one_time
    )
    return InvoiceFrequency.per_order if qualifies else InvoiceFrequency.monthly


@dataclass(frozen=True)
class ItemFacts:
    item_id: str
    provisioning: ProvisioningState
    billing_type: BillingType
    vendor_supports_per_order: bool
    quantity: int
    unit_price: Decimal
    currency: str


@dataclass(frozen=True)
class PlannedLine:
    item_id: str
    frequency: InvoiceFrequency
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class OrderBillingPlan:
    per_order: list[PlannedLine] = field(default_factory=list)
    monthly: list[PlannedLine] = field(default_factory=list)
    not_billed: list[str] = field(default_factory=list)

    @property
    def invoice_currency(self) -> str | None:
        return self.per_order[0].currency if self.per_order else None

    @property
    def invoice_subtotal(self) -> Decimal:
        currency = self.invoice_currency
        if currency is None:
            return Decimal(0)
        return total((line.amount for line in self.per_order), currency)


class OrderNotSettled(ValueError):
    """Billing was asked for while an item still waits for its outcome."""


def plan_order_billing(
    *, issuer_invoice_per_order: bool, items: Sequence[ItemFacts]
) -> OrderBillingPlan:
    plan = OrderBillingPlan()
    for item in items:
        if item.provisioning is ProvisioningState.pending:
            raise OrderNotSettled(f"item {item.item_id!r} has no provisioning outcome yet")
        if item.provisioning is ProvisioningState.failed:
            plan.not_billed.append(item.item_id)  # a failed item is never billed
            continue
        frequency = invoice_frequency(
            issuer_invoice_per_order=issuer_invoice_per_order,
            vendor_supports_per_order=item.vendor_supports_per_order,
            billing_type=item.billing_type,
        )
        line = PlannedLine(
            item_id=item.item_id,
            frequency=frequency,
            quantity=item.quantity,
            unit_price=item.unit_price,
            amount=line_amount(item.quantity, item.unit_price, item.currency),
            currency=item.currency,
        )
        (plan.per_order if frequency is InvoiceFrequency.per_order else plan.monthly).append(line)
    currencies = {line.currency for line in plan.per_order}
    if len(currencies) > 1:
        # Orders are refused at the door when their items mix currencies; this guards the rule.
        raise ValueError(f"one per-order invoice cannot mix currencies: {sorted(currencies)}")
    return plan


def charge_key(order_number: str, item_id: str) -> str:
    """The billing line's business key: one line per order item, however often it is billed."""
    return f"order:{order_number}:{item_id}"


@dataclass(frozen=True)
class OrderFacts:
    order_number: str
    issuer_id: str
    customer_id: str
    type: OrderType
    resold: bool
    aligns_end_date: bool
    issuer_invoice_per_order: bool
    # Its recurring subscriptions are billed per month by pre-invoice generation instead.
    issuer_delta_invoicing: bool = False


@dataclass(frozen=True)
class GroupingFields:
    """An item's month-end grouping fields; empty ones default from the account at run time."""

    invoice_group_number: str | None
    bill_to_contact: str | None
    payment_term: str | None


@dataclass(frozen=True)
class ItemTerms:
    """What an item's billing line and subscription carry beyond its price."""

    item_id: str
    offer_id: str
    vendor_id: str
    category: OfferCategory
    provisioned_at: datetime | None  # None until the item has an outcome
    perpetual: bool
    term_months: int
    grouping: GroupingFields
    billing_type: BillingType = BillingType.one_time


@dataclass(frozen=True)
class LineToWrite:
    line: PlannedLine
    charge_key: str
    charge_kind: ChargeKind
    offer_id: str
    vendor_id: str
    grouping: GroupingFields


@dataclass(frozen=True)
class SubscriptionToWrite:
    """Each billed item starts one subscription, from when it was provisioned to the end of the
    offer's term."""

    item_id: str
    offer_id: str
    quantity: int
    starts_at: datetime
    expires_at: datetime
    perpetual: bool
    grouping: GroupingFields
    # The price it was sold at: a later price-list change re-bills no month.
    unit_price: Decimal
    # Billed per month by pre-invoice generation, never by an order line or a renewal.
    billed_by_delta: bool = False


@dataclass(frozen=True)
class OrderWrites:
    lines: list[LineToWrite]
    subscriptions: list[SubscriptionToWrite]


def order_writes(
    order: OrderFacts, plan: OrderBillingPlan, terms: Mapping[str, ItemTerms]
) -> OrderWrites:
    """The billing lines and subscriptions of the order's billed items, per-order lines first.
    With delta invoicing a recurring item gets its subscription but no line: pre-invoice
    generation bills it per month, and a line here would bill it twice."""
    billed = plan.per_order + plan.monthly

    def by_delta(item_id: str) -> bool:
        return order.issuer_delta_invoicing and terms[item_id].billing_type is BillingType.recurring

    charged = [line for line in billed if not by_delta(line.item_id)]
    return OrderWrites(
        lines=[
            LineToWrite(
                line=line,
                charge_key=charge_key(order.order_number, line.item_id),
                charge_kind=charge_kind(
                    order_type=order.type,
                    resold=order.resold,
                    aligns_end_date=order.aligns_end_date,
                    category=terms[line.item_id].category,
                ),
                offer_id=terms[line.item_id].offer_id,
                vendor_id=terms[line.item_id].vendor_id,
                grouping=terms[line.item_id].grouping,
            )
            for line in charged
        ],
        subscriptions=[
            SubscriptionToWrite(
                item_id=line.item_id,
                offer_id=terms[line.item_id].offer_id,
                quantity=line.quantity,
                starts_at=_provisioned_at(terms[line.item_id]),
                expires_at=expires_at(
                    _provisioned_at(terms[line.item_id]), terms[line.item_id].term_months
                ),
                perpetual=terms[line.item_id].perpetual,
                grouping=terms[line.item_id].grouping,
                unit_price=line.unit_price,
                billed_by_delta=by_delta(line.item_id),
            )
            for line in billed
        ],
    )


def _provisioned_at(terms: ItemTerms) -> datetime:
    if terms.provisioned_at is None:
        raise OrderNotSettled(f"item {terms.item_id!r} was billed but has no provisioning time")
    return terms.provisioned_at
