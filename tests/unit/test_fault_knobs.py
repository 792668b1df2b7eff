"""The chaos tests' knobs, without a database: kill-point specs and the built-in tax
provider's fault rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.fault_injection import parse_points
from billing.tax.builtin import BuiltinTaxConfig, BuiltinTaxProvider, fault_draw
from billing.tax.provider import TaxDocument, TaxLine, TransientTaxError


def test_kill_point_specs_name_a_point_and_which_pass_kills() -> None:
    assert parse_points("bill_order.in_transaction:3, run_page.after_commit") == {
        "bill_order.in_transaction": 3,
        "run_page.after_commit": 1,
    }
    assert parse_points("") == {}


def test_fault_draws_are_fixed_by_document_and_call_and_spread_evenly() -> None:
    assert fault_draw("doc", 1) == fault_draw("doc", 1) != fault_draw("doc", 2)
    draws = [fault_draw(f"doc-{i}", 1) for i in range(2000)]
    assert all(0 <= d < 1 for d in draws)
    assert 0.25 < sum(d < 0.3 for d in draws) / len(draws) < 0.35


def document(code: str) -> TaxDocument:
    return TaxDocument(
        code=code,
        company_code="seller",
        customer_code="c1",
        customer_country="FR",
        date=date(2026, 12, 1),
        lines=[
            TaxLine(
                number="1",
                source_invoice="INV-1",
                description="x",
                amount=Decimal("10.00"),
                currency="EUR",
            )
        ],
    )


def test_a_failure_rate_fails_that_share_of_calls_and_the_rest_answer() -> None:
    provider = BuiltinTaxProvider(BuiltinTaxConfig(failure_rate=0.3))
    failed = 0
    for i in range(300):
        try:
            result = provider.create_or_adjust(document(f"d-{i}"))
            assert result.tax_by_currency == {"EUR": Decimal("2.00")}
        except TransientTaxError:
            failed += 1
    assert 60 < failed < 120


def test_no_rates_means_no_faults() -> None:
    provider = BuiltinTaxProvider()
    for i in range(50):
        provider.create_or_adjust(document(f"ok-{i}"))
    with pytest.raises(TransientTaxError):
        BuiltinTaxProvider(BuiltinTaxConfig(failure_rate=1.0)).create_or_adjust(document("x"))
