"""Orders and provisioning outcomes as order systems submit them and read them back."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from billing.contracts.common import Identifier, Strict
from billing.vocabulary import InvoiceFrequency, OrderStatus, Outcome, ProvisioningState


class OrderItemIn(Strict):
    item_id: Identifier
    offer_id: Identifier
    quantity: int = Field(gt=0, le=1_000_000)


class OrderIn(Strict):
    order_number: Identifier
    issuer_id: Identifier
    customer_id: Identifier
    items: list[OrderItemIn] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _item_ids_unique(self) -> OrderIn:
        counts = Counter(item.item_id for item in self.items)
        duplicates = sorted(item_id for item_id, n in counts.items() if n > 1)
        if duplicates:
            raise ValueError(f"item ids must be unique within an order; repeated: {duplicates}")
        return self


class ProvisioningIn(Strict):
    outcome: Outcome
    reason: str | None = Field(default=None, max_length=2000)
    provisioned_at: AwareDatetime | None = Field(
        default=None,
        description="When the item was provisioned (its subscription starts then); now if absent.",
    )


class ManualOutcomeIn(ProvisioningIn):
    """An operator records an outcome the order system never sent; who and why are kept."""

    reason: str = Field(min_length=3, max_length=2000)
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
