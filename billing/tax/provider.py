"""The tax integration's interface. A provider taxes one document per summary invoice, identified
by a code we choose (the summary invoice id): creating it again adjusts the same document, so a
retry, however it is caused, never taxes twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel


class TaxLine(BaseModel):
    number: str  # stable across retries: the billing line id
    source_invoice: str  # the source invoice's number, which the PDF groups by
    description: str
    amount: Decimal
    currency: str


class TaxDocument(BaseModel):
    code: str
    company_code: str  # the issuer
    customer_code: str  # the receiver
    customer_country: str | None
    date: date
    lines: list[TaxLine]

    @property
    def currencies(self) -> list[str]:
        return sorted({line.currency for line in self.lines})


class TaxResult(BaseModel):
    reference_code: str
    document_code: str
    committed: bool
    tax_by_currency: dict[str, Decimal]


class TaxError(Exception):
    """A provider's refusal or failure, worded for the operator who reads it on TaxFailed."""


class TransientTaxError(TaxError):
    """Worth retrying: timeouts, rate limits (429), server errors (5xx), connection failures."""


class PermanentTaxError(TaxError):
    """Retrying changes nothing until a person fixes something: invalid address, rejected
    document, bad credentials."""


class TaxProvider(Protocol):
    name: str

    def create_or_adjust(self, document: TaxDocument) -> TaxResult:
        """Create the document, or adjust it if one with its code exists, and commit it: a
        summary invoice never changes after creation, so there is nothing to wait for."""
        ...
