"""Invoices, subscriptions and outgoing billing lines as the reporting API shows them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from billing.contracts.common import Strict
from billing.vocabulary import InvoiceFrequency


class InvoiceLine(BaseModel):
    item_id: str | None
    offer_id: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


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


class SubscriptionChange(Strict):
    quantity: int = Field(gt=0, le=1_000_000)
