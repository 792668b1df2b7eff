"""The AvaTax-shaped adapter against a local CreateOrAdjustTransaction server: document code =
our summary invoice id, committed, errors classified for Temporal, one document per retry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import Client

from billing.tax.avatax import AvaTaxProvider
from billing.tax.provider import PermanentTaxError, TaxDocument, TaxLine, TransientTaxError
from tests.fake_avatax import ACCOUNT, LICENSE_KEY, FakeAvaTax, serve
from tests.summary_world import (
    SummaryWorld,
    build_summary_world,
    created,
    make_invoice,
    partner,
    request_summaries,
    tax_stack,
    wait_state,
)
from tests.world import put


@pytest.fixture
async def sw(api: httpx.AsyncClient) -> SummaryWorld:
    return await build_summary_world(api)


async def test_rate_limits_and_server_errors_are_retried_into_one_committed_transaction(
    temporal: Client, engine: Engine, database_url: str, sw: SummaryWorld
) -> None:
    fake = FakeAvaTax()
    fake.failures = [503, 429]
    with serve(fake) as url:
        provider = AvaTaxProvider(url, ACCOUNT, LICENSE_KEY)
        async with tax_stack(temporal, engine, database_url, provider) as api:
            invoice_id = make_invoice(engine, sw, sw.seller, [(sw.c1, 3), (sw.c3, 1)])
            answer = await request_summaries(api, sw.seller, [invoice_id])
            first, second = await created(temporal, answer["request_id"])
            done = [await wait_state(api, s, "TaxCompleted") for s in (first, second)]
        provider.close()

    assert len(fake.calls) == 4  # 503 and 429 retried, then one call per summary
    assert sorted(fake.documents) == sorted([(sw.seller, first), (sw.seller, second)])
    assert all(doc["status"] == "Committed" for doc in fake.documents.values())
    assert all(call["commit"] and call["type"] == "SalesInvoice" for call in fake.calls)
    by_id = {d["id"]: d for d in done}
    assert by_id[first]["tax"] == "5.70" and by_id[second]["tax"] == "2.00"  # DE, FR
    assert by_id[first]["reference_code"] == f"AVT-{fake.documents[(sw.seller, first)]['id']}"


async def test_an_invalid_address_is_permanent_and_the_retry_adjusts_the_same_document(
    temporal: Client, engine: Engine, database_url: str, sw: SummaryWorld, api: httpx.AsyncClient
) -> None:
    await put(
        api, f"/v1/partners/{sw.c4}", partner("Customer Four", "customer", sw.seller, country="NL")
    )
    fake = FakeAvaTax()  # knows DE and FR only: NL is an invalid address here
    with serve(fake) as url:
        provider = AvaTaxProvider(url, ACCOUNT, LICENSE_KEY)
        async with tax_stack(temporal, engine, database_url, provider) as stack:
            invoice_id = make_invoice(engine, sw, sw.seller, [(sw.c4, 1)])
            answer = await request_summaries(stack, sw.seller, [invoice_id])
            [summary_id] = await created(temporal, answer["request_id"])
            failed = await wait_state(stack, summary_id, "TaxFailed")
            assert failed["tax_failure_reason"].startswith(
                "AvaTax refused the document: InvalidAddress"
            )
            assert len(fake.calls) == 1 and fake.documents == {}

            fake.rates["NL"] = Decimal("0.21")  # the operator fixed the address
            assert (
                await stack.post(f"/v1/summary-invoices/{summary_id}/tax-sync/retry")
            ).status_code == 202
            done = await wait_state(stack, summary_id, "TaxCompleted")
            # Retrying the sync again cannot happen (409), and re-sending the document adjusts it.
            provider.create_or_adjust(
                TaxDocument(
                    code=summary_id,
                    company_code=sw.seller,
                    customer_code=sw.c4,
                    customer_country="NL",
                    date=date(2026, 11, 30),
                    lines=[
                        TaxLine(
                            number="1",
                            source_invoice="INV",
                            description="x",
                            amount=Decimal("10.00"),
                            currency="EUR",
                        )
                    ],
                )
            )
        provider.close()
    assert done["tax"] == "2.10"
    assert list(fake.documents) == [(sw.seller, summary_id)]
    assert fake.documents[(sw.seller, summary_id)]["adjustments"] == 1


def test_errors_are_classified_transient_or_permanent() -> None:
    document = TaxDocument(
        code="doc-1",
        company_code="seller",
        customer_code="c1",
        customer_country="DE",
        date=date(2026, 11, 30),
        lines=[
            TaxLine(
                number="1",
                source_invoice="INV-1",
                description="a",
                amount=Decimal("10"),
                currency="EUR",
            ),
            TaxLine(
                number="2",
                source_invoice="INV-1",
                description="b",
                amount=Decimal("5"),
                currency="USD",
            ),
        ],
    )
    fake = FakeAvaTax()
    with serve(fake) as url:
        wrong_key = AvaTaxProvider(url, ACCOUNT, "wrong")
        with pytest.raises(PermanentTaxError, match="AuthenticationException"):
            wrong_key.create_or_adjust(document)
        provider = AvaTaxProvider(url, ACCOUNT, LICENSE_KEY, timeout=0.3)
        fake.failures = [500]
        with pytest.raises(TransientTaxError, match="500"):
            provider.create_or_adjust(document)
        fake.delay_seconds = 0.6
        with pytest.raises(TransientTaxError, match="did not answer in time"):
            provider.create_or_adjust(document)
        fake.delay_seconds = 0
        # Several currencies: one transaction per currency, each coded from our id.
        result = provider.create_or_adjust(document)
        provider.close()
        wrong_key.close()
    assert result.tax_by_currency == {"EUR": Decimal("1.90"), "USD": Decimal("0.95")}
    assert {code for _, code in fake.documents} == {"doc-1-EUR", "doc-1-USD"}
    with pytest.raises(TransientTaxError, match="unreachable"):
        AvaTaxProvider(url, ACCOUNT, LICENSE_KEY).create_or_adjust(document)
