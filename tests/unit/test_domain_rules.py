"""Pure domain rules, no servers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from billing.contracts.reference_data import PartnerIn
from billing.errors import Conflict
from billing.invoice_numbers import invoice_number
from billing.invoice_per_order import (
    ItemFacts,
    OrderNotSettled,
    invoice_frequency,
    plan_order_billing,
)
from billing.money import (
    format_money,
    format_unit_price,
    line_amount,
    minor_units,
    round_money,
    total,
)
from billing.subscriptions import add_months, ensure_quantity_may_change, expires_at
from billing.vocabulary import BillingType, InvoiceFrequency, ProvisioningState


@pytest.mark.parametrize(
    ("setting", "vendor", "billing_type", "expected"),
    [
        (True, True, BillingType.one_time, InvoiceFrequency.per_order),
        (False, True, BillingType.one_time, InvoiceFrequency.monthly),
        (True, False, BillingType.one_time, InvoiceFrequency.monthly),
        (True, True, BillingType.recurring, InvoiceFrequency.monthly),
        (True, True, BillingType.usage, InvoiceFrequency.monthly),
    ],
)
def test_only_one_time_offers_of_supporting_vendors_with_the_setting_on_are_per_order(
    setting: bool, vendor: bool, billing_type: BillingType, expected: InvoiceFrequency
) -> None:
    assert (
        invoice_frequency(
            issuer_invoice_per_order=setting,
            vendor_supports_per_order=vendor,
            billing_type=billing_type,
        )
        is expected
    )


def item(
    item_id: str,
    state: ProvisioningState,
    kind: BillingType = BillingType.one_time,
    *,
    vendor: bool = True,
    price: str = "10",
    qty: int = 1,
    currency: str = "EUR",
) -> ItemFacts:
    return ItemFacts(item_id, state, kind, vendor, qty, Decimal(price), currency)


def test_the_plan_splits_per_order_monthly_and_failed() -> None:
    plan = plan_order_billing(
        issuer_invoice_per_order=True,
        items=[
            item("a", ProvisioningState.succeeded, qty=3, price="0.335"),
            item("b", ProvisioningState.succeeded, BillingType.recurring),
            item("c", ProvisioningState.failed),
            item("d", ProvisioningState.succeeded, vendor=False),
        ],
    )
    assert [line.item_id for line in plan.per_order] == ["a"]
    assert [line.item_id for line in plan.monthly] == ["b", "d"]
    assert plan.not_billed == ["c"]
    assert plan.per_order[0].amount == Decimal("1.01")  # 1.005 rounds half up
    assert plan.invoice_subtotal == Decimal("1.01") and plan.invoice_currency == "EUR"


def test_a_plan_refuses_pending_items_and_mixed_currencies() -> None:
    with pytest.raises(OrderNotSettled):
        plan_order_billing(
            issuer_invoice_per_order=True, items=[item("a", ProvisioningState.pending)]
        )
    with pytest.raises(ValueError, match="mix currencies"):
        plan_order_billing(
            issuer_invoice_per_order=True,
            items=[
                item("a", ProvisioningState.succeeded),
                item("b", ProvisioningState.succeeded, currency="USD"),
            ],
        )


def test_an_all_failed_order_has_nothing_to_invoice() -> None:
    plan = plan_order_billing(
        issuer_invoice_per_order=True, items=[item("a", ProvisioningState.failed)]
    )
    assert plan.per_order == [] and plan.invoice_currency is None and plan.invoice_subtotal == 0


@pytest.mark.parametrize(
    ("currency", "amount", "expected"),
    [
        ("EUR", "2.675", "2.68"),
        ("EUR", "-2.675", "-2.68"),
        ("JPY", "1234.5", "1235"),
        ("KWD", "1.2345", "1.235"),
        ("CLF", "1.23456", "1.2346"),
        ("eur", "1", "1.00"),
    ],
)
def test_money_rounds_to_the_currency_minor_units(
    currency: str, amount: str, expected: str
) -> None:
    assert str(round_money(Decimal(amount), currency)) == expected


def test_totals_are_sums_of_rounded_lines() -> None:
    lines = [line_amount(1, Decimal("0.005"), "EUR") for _ in range(3)]
    assert lines == [Decimal("0.01")] * 3
    assert total(lines, "EUR") == Decimal("0.03")
    assert minor_units("JPY") == 0 and minor_units("USD") == 2


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 15, tzinfo=UTC), 12, datetime(2027, 1, 15, tzinfo=UTC)),
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2026, 12, 1, tzinfo=UTC), 1, datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_to_month_end(start: datetime, months: int, expected: datetime) -> None:
    assert add_months(start, months) == expected
    assert expires_at(start, months) == expected


def test_perpetual_one_time_quantity_is_fixed() -> None:
    with pytest.raises(Conflict, match="new order"):
        ensure_quantity_may_change(perpetual=True, billing_type=BillingType.one_time)
    ensure_quantity_may_change(perpetual=False, billing_type=BillingType.one_time)
    ensure_quantity_may_change(perpetual=False, billing_type=BillingType.recurring)


def test_invoice_numbers_are_zero_padded_to_six_digits_and_keep_longer_numbers() -> None:
    assert invoice_number("INV", 42) == "INV-000042"
    assert invoice_number("SUM", 1234567) == "SUM-1234567"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "EUR", "en_US", "€1,234.50"),
        ("1234.5", "EUR", "de_DE", "1.234,50\xa0€"),
        ("1234.5", "JPY", "ja_JP", "￥1,235"),  # half up, as the invoice rounds it
        ("2.675", "EUR", "en_US", "€2.68"),
        ("1.2345", "KWD", "en_US", "KWD1.235"),
    ],
)
def test_money_is_formatted_per_currency_and_locale(
    amount: str, currency: str, locale: str, expected: str
) -> None:
    assert format_money(Decimal(amount), currency, locale) == expected


def test_unit_prices_keep_the_precision_of_the_price_list() -> None:
    assert format_unit_price(Decimal("3.333333"), "EUR", "en_US") == "€3.333333"
    assert format_unit_price(Decimal("12.50"), "EUR", "de_DE") == "12,50\xa0€"


def test_partners_take_only_real_time_zones_and_locales() -> None:
    base = {"name": "P", "level": "customer", "currency": "EUR"}
    partner = PartnerIn.model_validate({**base, "time_zone": "Europe/Berlin", "locale": "de-DE"})
    assert (partner.time_zone, partner.locale) == ("Europe/Berlin", "de_DE")
    for wrong, message in (
        ({"time_zone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"locale": "xx_QQ"}, "not a locale"),
    ):
        with pytest.raises(ValidationError, match=message):
            PartnerIn.model_validate({**base, **wrong})
