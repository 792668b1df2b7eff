"""Partners, vendors and offers as the API takes and shows them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, Field

from billing.contracts.accounting import DeltaInvoicing
from billing.contracts.common import CountryCode, CurrencyCode, Identifier, Strict
from billing.vocabulary import (
    BillingType,
    InvoiceGrouping,
    OfferCategory,
    PartnerLevel,
    PaymentTerm,
)


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not an IANA time zone; use one such as Europe/Berlin or UTC"
        ) from None
    return value


def _locale(value: str) -> str:
    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(
            f"{value!r} is not a locale; use one such as en_US, de_DE or ja_JP"
        ) from None


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]
LocaleCode = Annotated[str, Field(max_length=20), AfterValidator(_locale)]


class ConsolidationSettings(Strict):
    """Billing-day consolidation as an issuer configures it."""

    enabled: bool = False
    days_before_billing_day: int = Field(
        default=5,
        ge=0,
        le=31,
        description="M: the consolidated invoice is generated M days before the billing day. "
        "Must be smaller than the customers' renewal-order and overdue periods.",
    )
    include_overusage: bool = False
    include_domain_ssl_renewals: bool = False


class PartnerSettings(Strict):
    invoice_per_order: bool = False
    grouping: InvoiceGrouping = Field(
        default=InvoiceGrouping.receiver,
        description="Month-end grouping: `receiver` (receiver, invoice group number, bill-to, "
        "payment term, currency) or `vendor` (one invoice per vendor and period).",
    )
    consolidation: ConsolidationSettings = ConsolidationSettings()
    summary_invoices: bool = Field(
        default=False,
        description="'Activate the Invoices tab': may consolidate summary invoices.",
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
    # As a receiver: defaults for invoice grouping, and credit terms.
    bill_to_contact: str | None = Field(default=None, min_length=1, max_length=200)
    payment_term: PaymentTerm = PaymentTerm.due_upon_receipt
    billing_day: int | None = Field(default=None, ge=1, le=31)
    renewal_order_days: int = Field(
        default=30, ge=1, le=366, description="N: renewal orders are made N days before the end."
    )
    overdue_days: int = Field(default=30, ge=1, le=366)
    # On invoice documents, as issuer or receiver.
    postal_address: str | None = Field(
        default=None, min_length=1, max_length=500, description="Lines separated by newlines."
    )
    tax_id: str | None = Field(
        default=None, min_length=1, max_length=50, description="VAT or other tax number."
    )
    time_zone: TimeZone = Field(default="UTC", description="IANA time zone of its dates.")
    locale: LocaleCode = Field(default="en_US", description="How its amounts and dates read.")
    # Read-only, accepted so that a GET body can be PUT back; a PUT never changes them
    # (licences: PUT /v1/partners/{id}/licences/{token}; delta invoicing: POST .../delta-invoicing).
    licences: list[str] | None = Field(default=None, description="Read-only; ignored on PUT.")
    delta_invoicing: DeltaInvoicing | None = Field(
        default=None, description="Read-only; ignored on PUT."
    )


class Partner(PartnerIn):
    id: str
    licences: list[str] | None = Field(
        default=[], description="Licence tokens an administrator granted (DELTA_INVOICING)."
    )
    delta_invoicing: DeltaInvoicing | None = Field(
        default=DeltaInvoicing(),
        description="Switched on with POST /v1/partners/{id}/delta-invoicing; never off again.",
    )


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
    category: OfferCategory = OfferCategory.standard


class Offer(OfferIn):
    id: str
