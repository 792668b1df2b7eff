"""The built-in tax provider: a rate table per receiver country, deterministic, with settings
that make it time out, fail transiently or fail permanently, for tests and demos.

It keeps its documents in memory, keyed by document code (CreateOrAdjust semantics), so a test
can count them; our own record of each document is the tax_documents table.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from billing.money import round_money
from billing.tax.provider import (
    PermanentTaxError,
    TaxDocument,
    TaxResult,
    TransientTaxError,
)

# VAT standard rates (2026) of the countries demos use; a country missing here is an address the
# provider cannot tax, which is a permanent failure until someone fixes the partner.
DEFAULT_RATES: dict[str, Decimal] = {
    "AT": Decimal("0.20"), "BE": Decimal("0.21"), "DE": Decimal("0.19"), "DK": Decimal("0.25"),
    "ES": Decimal("0.21"), "FI": Decimal("0.255"), "FR": Decimal("0.20"), "GB": Decimal("0.20"),
    "IE": Decimal("0.23"), "IT": Decimal("0.22"), "NL": Decimal("0.21"), "NO": Decimal("0.25"),
    "PL": Decimal("0.23"), "SE": Decimal("0.25"), "US": Decimal("0"),
}  # fmt: skip


@dataclass(frozen=True)
class BuiltinTaxConfig:
    """Faults count per document code, in this order: the first `timeouts` calls answer only
    after `timeout_seconds` (the document is still written, as by a slow provider), the next
    `transient_failures` calls fail with a 503, the next `permanent_failures` are rejected."""

    rates: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_RATES))
    timeouts: int = 0
    timeout_seconds: float = 0.0
    transient_failures: int = 0
    permanent_failures: int = 0
    permanent_reason: str = "Document rejected by the built-in tax provider (told to reject it)."
    # After the counted faults: this share of calls fails with a 503, and this share answers
    # only after `timeout_seconds`, decided by a hash of (document code, call number), so a run
    # with the same documents meets the same faults.
    failure_rate: float = 0.0
    timeout_rate: float = 0.0


@dataclass
class BuiltinDocument:
    code: str
    company_code: str
    reference_code: str
    tax_by_currency: dict[str, Decimal]
    committed: bool
    adjustments: int = 0


def fault_draw(code: str, call: int) -> float:
    """A number in [0, 1) fixed by the document code and call number."""
    digest = hashlib.sha256(f"{code}:{call}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class BuiltinTaxProvider:
    name = "builtin"

    def __init__(self, config: BuiltinTaxConfig | None = None) -> None:
        self.config = config or BuiltinTaxConfig()
        self.documents: dict[str, BuiltinDocument] = {}
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def create_or_adjust(self, document: TaxDocument) -> TaxResult:
        config = self.config
        with self._lock:
            self.calls[document.code] += 1
            call = self.calls[document.code]
        if call <= config.timeouts:
            time.sleep(config.timeout_seconds)
        elif call <= config.timeouts + config.transient_failures:
            raise TransientTaxError(
                f"503 Service Unavailable from the built-in tax provider (call {call})."
            )
        elif call <= config.timeouts + config.transient_failures + config.permanent_failures:
            raise PermanentTaxError(config.permanent_reason)
        else:
            draw = fault_draw(document.code, call)
            if draw < config.failure_rate:
                raise TransientTaxError(
                    f"503 Service Unavailable from the built-in tax provider (call {call})."
                )
            if draw < config.failure_rate + config.timeout_rate:
                time.sleep(config.timeout_seconds)

        country = document.customer_country
        if country is None:
            raise PermanentTaxError(
                f"Invalid address: receiver {document.customer_code} has no country; "
                "set the partner's country and retry."
            )
        rate = config.rates.get(country)
        if rate is None:
            raise PermanentTaxError(
                f"Invalid address: no tax rate for country {country!r} "
                f"(receiver {document.customer_code})."
            )
        tax: dict[str, Decimal] = {}
        for line in document.lines:  # tax is rounded per line, as the lines are
            tax[line.currency] = tax.get(line.currency, Decimal(0)) + round_money(
                line.amount * rate, line.currency
            )
        reference = "TX-" + hashlib.sha256(document.code.encode()).hexdigest()[:12].upper()
        with self._lock:
            existing = self.documents.get(document.code)
            if existing is None:
                self.documents[document.code] = BuiltinDocument(
                    code=document.code,
                    company_code=document.company_code,
                    reference_code=reference,
                    tax_by_currency=tax,
                    committed=True,
                )
            else:
                existing.tax_by_currency, existing.committed = tax, True
                existing.adjustments += 1
        return TaxResult(
            reference_code=reference,
            document_code=document.code,
            committed=True,
            tax_by_currency=tax,
        )
