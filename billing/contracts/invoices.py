"""Invoices, subscriptions and outgoing billing lines as the reporting API shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from billing.contracts.common import Strict
from billing.vocabulary import InvoiceFrequency, PaymentTerm


class InvoiceLine(BaseModel):
    item_id: str | None
    offer_id: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    subscription_id: str | None = None
    receiver_id: str | None = None
    order_number: str | None = None
    # Delta invoicing: the service period (a calendar month), and whether the line is a
    # difference to lines invoiced before (its sequence within the month is above 1).
    period_start: date | None = None
    period_end: date | None = None
    delta: bool | None = None
    sequence: int | None = None


class Invoice(BaseModel):
    id: str
    number: str
    type: str
    status: str
    issuer_id: str
    receiver_id: str | None
    order_number: str | None
    # Null only on a summary invoice that holds several currencies (see /v1/summary-invoices).
    currency: str | None
    subtotal: Decimal | None
    tax: Decimal | None
    total: Decimal | None
    issued_at: datetime
    lines: list[InvoiceLine]
    bill_to_contact: str | None = None
    payment_term: PaymentTerm | None = None
    due_date: date | None = None
    invoice_group_number: str | None = None
    vendor_id: str | None = Field(default=None, description="Per-vendor grouping only.")
    period: str | None = Field(
        default=None, description="Month-end: YYYY-MM; consolidated: the billing date."
    )
    accounting_period_id: str | None = Field(
        default=None, description="Pre-invoices: their accounting period, null until it exists."
    )
    summary_invoice: str | None = Field(
        default=None,
        description="`Created (<code>)` when consolidated into one summary invoice, "
        "`Multiple Created` when into several, null when not consolidated.",
    )


class BillingLine(BaseModel):
    id: int
    issuer_id: str
    receiver_id: str
    vendor_id: str
    offer_id: str
    order_number: str | None
    item_id: str | None
    subscription_id: str | None
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str
    invoice_frequency: InvoiceFrequency
    invoice_id: str | None
    created_at: datetime


class Subscription(BaseModel):
    id: str
    issuer_id: str
    customer_id: str
    offer_id: str
    order_number: str
    item_id: str
    quantity: int
    starts_at: datetime
    expires_at: datetime
    perpetual: bool
    ends_at: datetime | None = Field(default=None, description="Same as expires_at.")
    invoice_group_number: str | None = None
    bill_to_contact: str | None = None
    payment_term: PaymentTerm | None = None
    renewal_order_number: str | None = Field(
        default=None, description="The open renewal order of the current term, if any."
    )
    unit_price: Decimal | None = Field(
        default=None, description="Its own monthly unit price; null: the offer's."
    )
    cancelled_at: datetime | None = None
    billing_effect: str | None = Field(
        default=None,
        description="In answers to a change: when and how the change reaches the bill.",
    )


class SubscriptionChange(Strict):
    """Send only what changes; null clears a grouping field (it then defaults from the account).
    A changed end date is what the next renewal and consolidation run use."""

    quantity: int | None = Field(default=None, gt=0, le=1_000_000)
    ends_at: AwareDatetime | None = None
    # Delta invoicing bills these per month; without it they are refused (an upgrade order).
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=20, decimal_places=6)
    starts_at: AwareDatetime | None = None
    invoice_group_number: str | None = Field(default=None, min_length=1, max_length=100)
    bill_to_contact: str | None = Field(default=None, min_length=1, max_length=200)
    payment_term: PaymentTerm | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> SubscriptionChange:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        if "quantity" in self.model_fields_set and self.quantity is None:
            raise ValueError("quantity cannot be null")
        for name in ("ends_at", "unit_price", "starts_at"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SubscriptionCancel(Strict):
    effective_at: AwareDatetime = Field(
        description="The subscription ends here; with delta invoicing later months are credited."
    )
