"""Orders and provisioning outcomes as order systems submit them and read them back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from billing.contracts.common import Identifier, Strict
from billing.vocabulary import (
    InvoiceFrequency,
    OrderStatus,
    OrderType,
    Outcome,
    PaymentTerm,
    ProvisioningState,
)

# Enough for an order system's burst in one request, small enough that one transaction and its
# workflow starts answer well within an HTTP client's timeout.
MAX_ORDERS_PER_BATCH = 100

GroupNumber = Field(default=None, min_length=1, max_length=100)
Contact = Field(default=None, min_length=1, max_length=200)


class OrderItemIn(Strict):
    item_id: Identifier
    offer_id: Identifier
    quantity: int = Field(gt=0, le=1_000_000)
    # Invoice grouping; empty ones default from the customer's account.
    invoice_group_number: str | None = GroupNumber
    bill_to_contact: str | None = Contact
    payment_term: PaymentTerm | None = None


class OrderIn(Strict):
    order_number: Identifier
    issuer_id: Identifier
    customer_id: Identifier
    items: list[OrderItemIn] = Field(min_length=1, max_length=500)
    type: OrderType = OrderType.sales
    resold: bool = Field(default=False, description="Resold services go into consolidation.")
    aligns_end_date: bool = Field(
        default=False,
        description="A renewal order made while aligning end dates to the billing day.",
    )

    @model_validator(mode="after")
    def _alignment_is_a_renewal(self) -> OrderIn:
        if self.aligns_end_date and self.type is not OrderType.renewal:
            raise ValueError("only a renewal order can align an end date (type must be renewal)")
        return self

    @model_validator(mode="after")
    def _item_ids_unique(self) -> OrderIn:
        if duplicates := repeated(item.item_id for item in self.items):
            raise ValueError(f"item ids must be unique within an order; repeated: {duplicates}")
        return self


class OrderBatchIn(Strict):
    """Several orders in one submission: recorded in one transaction, all or none."""

    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_ORDERS_PER_BATCH)

    @model_validator(mode="after")
    def _order_numbers_unique(self) -> OrderBatchIn:
        if duplicates := repeated(order.order_number for order in self.orders):
            raise ValueError(f"submit each order once per batch; repeated: {duplicates}")
        return self


def repeated(item_ids: Iterable[str]) -> list[str]:
    return sorted(item_id for item_id, n in Counter(item_ids).items() if n > 1)


class ProvisioningIn(Strict):
    outcome: Outcome
    reason: str | None = Field(default=None, max_length=2000)
    provisioned_at: AwareDatetime | None = Field(
        default=None,
        description="When the item was provisioned (its subscription starts then); now if absent.",
    )


class ItemProvisioningIn(ProvisioningIn):
    item_id: Identifier


class ProvisioningBatchIn(Strict):
    """Several items' outcomes in one report: recorded in one transaction, all or none."""

    items: list[ItemProvisioningIn] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _item_ids_unique(self) -> ProvisioningBatchIn:
        if duplicates := repeated(item.item_id for item in self.items):
            raise ValueError(f"report each item once per request; repeated: {duplicates}")
        return self


class ManualOutcomeIn(ProvisioningIn):
    """An operator records an outcome the order system never sent; who and why are kept."""

    reason: str = Field(min_length=3, max_length=2000)
    operator: str = Field(min_length=1, max_length=200)


class ManualPaymentIn(Strict):
    """An order paid by hand, outside any invoice (billing-day consolidation leaves it out)."""

    paid_at: AwareDatetime | None = Field(default=None, description="Now if absent.")
    operator: str = Field(min_length=1, max_length=200)


class OrderItem(BaseModel):
    item_id: str
    offer_id: str
    quantity: int
    provisioning: ProvisioningState
    reason: str | None = None
    reported_at: datetime | None = None
    reported_by: str | None = Field(default=None, description="Operator, when recorded by hand.")
    invoice_frequency: InvoiceFrequency | None = None
    invoice_group_number: str | None = None
    bill_to_contact: str | None = None
    payment_term: PaymentTerm | None = None


class Order(BaseModel):
    order_number: str
    issuer_id: str
    customer_id: str
    status: OrderStatus
    created_at: datetime
    stuck_since: datetime | None = None
    completed_at: datetime | None = None
    items: list[OrderItem]
    pending_items: list[str]
    invoice_id: str | None = None
    type: OrderType = OrderType.sales
    resold: bool = False
    aligns_end_date: bool = False
    paid_at: datetime | None = None


class SubmittedOrders(BaseModel):
    """The answer to a batch submission: every order of the batch, in the order submitted."""

    orders: list[Order]
    replayed: list[str] = Field(
        description="Numbers of the orders already recorded with the same contents (a retried "
        "submission): nothing changed for them."
    )
