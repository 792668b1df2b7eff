"""Money: Decimal amounts rounded to each currency's minor units, and formatted for people.
Never float.

The minor units and the formats are Babel's (the Unicode CLDR's currency data): it follows
ISO 4217 except where a currency's minor unit is not used in practice (CLDR gives HUF, COP,
IDR and IQD, for instance, no decimals), so an invoice never shows fractions nobody can pay.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies

DEFAULT_LOCALE = "en_US"

# The currencies whose minor unit is not 2, for SQL that rounds as round_money does.
_MINOR_UNITS_OTHER_THAN_TWO: dict[str, int] = {
    code: digits
    for code in sorted(list_currencies())
    if (digits := get_currency_precision(code)) != 2
}


def minor_units(currency: str) -> int:
    return get_currency_precision(currency.upper())


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


def format_money(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """An amount as a reader of `locale` writes it in `currency` ("€1,234.50", "1.234,50 €",
    "¥1,235"), with exactly the currency's minor units."""
    # Babel rounds half-even; round as the invoice does first, so the two never disagree.
    return format_currency(
        round_money(amount, currency),
        currency.upper(),
        locale=locale or DEFAULT_LOCALE,
        currency_digits=True,
        decimal_quantization=True,
    )


def format_unit_price(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """A unit price keeps the precision of its price list ("€3.333333"), unlike an amount."""
    return format_currency(
        amount, currency.upper(), locale=locale or DEFAULT_LOCALE, decimal_quantization=False
    )
