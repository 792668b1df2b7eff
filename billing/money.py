"""Money: Decimal amounts rounded to each currency's ISO 4217 minor units. Never float."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies whose minor unit is not 2 (the rest use 2).
_MINOR_UNITS_OTHER_THAN_TWO: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip


def minor_units(currency: str) -> int:
    return _MINOR_UNITS_OTHER_THAN_TWO.get(currency.upper(), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Commercial rounding (half up) to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal | int, unit_price: Decimal, currency: str) -> Decimal:
    """A line's amount is rounded once, per line; invoice totals are sums of rounded lines, so
    the lines a person reads always add up to the total printed under them."""
    return round_money(Decimal(quantity) * unit_price, currency)


def total(amounts: Iterable[Decimal], currency: str) -> Decimal:
    return round_money(sum(amounts, Decimal(0)), currency)
