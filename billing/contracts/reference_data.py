"""Partners, vendors and offers as the API takes and shows them."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from billing.contracts.common import CountryCode, CurrencyCode, Identifier, Strict
from billing.vocabulary import BillingType, PartnerLevel


class PartnerSettings(Strict):
    invoice_per_order: bool = False
    summary_invoices: bool = Field(
        default=False,
        description="Seed 001's 'Activate the Invoices tab': may consolidate summary invoices.",
    )


class PartnerIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    level: PartnerLevel
    parent_id: Identifier | None = None
    currency: CurrencyCode
    country: CountryCode | None = Field(
        default=None, description="ISO 3166-1 alpha-2; summary invoices are taxed by it."
    )
    settings: PartnerSettings = PartnerSettings()


class Partner(PartnerIn):
    id: str


class VendorIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    invoice_per_order: bool = Field(
        default=False, description="Whether the vendor supports invoice per order."
    )


class Vendor(VendorIn):
    id: str


class OfferIn(Strict):
    vendor_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    billing_type: BillingType
    unit_price: Decimal = Field(ge=0, max_digits=20, decimal_places=6)
    currency: CurrencyCode
    perpetual: bool = False
    term_months: int = Field(default=12, ge=1, le=1200)


class Offer(OfferIn):
    id: str
