"""Which order items are invoiced per order (seed 000), and the plan for billing one order.

Pure functions: the activity that bills an order feeds them facts read from the database and
writes back what they decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from billing.money import line_amount, total
from billing.vocabulary import BillingType, InvoiceFrequency, ProvisioningState


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
            plan.not_billed.append(item.item_id)  # failed items are never billed (scenario 5)
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
