"""Tax sync of summary invoices on real Temporal and PostgreSQL: every state transition,
transient failures retried with backoff, permanent ones failing at once and retried by an
operator, timeouts, and exactly one tax document each time."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import Engine, func, select
from temporalio.client import Client

from billing.contracts.summary_invoices import SummaryRequestIn
from billing.contracts.summary_workflow import TaxSyncProgress
from billing.schema import tax_documents
from billing.store.invoices import parse_uuid
from billing.store.summary_invoices import consolidate, create_request
from billing.tax.builtin import BuiltinTaxConfig, BuiltinTaxProvider
from billing.tax.provider import TaxDocument, TaxResult
from tests.summary_world import (
    SummaryWorld,
    build_summary_world,
    created,
    make_invoice,
    partner,
    request_summaries,
    summary,
    tax_stack,
    wait_state,
)
from tests.world import put
from workflows import search_attributes as sa
from workflows.tax_sync import TaxSyncWorkflow, workflow_id


@pytest.fixture
async def sw(api: httpx.AsyncClient) -> SummaryWorld:
    return await build_summary_world(api)


def tax_document_rows(engine: Engine, summary_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(
                tax_documents.c.summary_invoice_id == parse_uuid(summary_id, "summary")
            )
        ).scalar_one()


async def one_summary(
    api: httpx.AsyncClient, temporal: Client, engine: Engine, sw: SummaryWorld, customer: str
) -> str:
    invoice_id = make_invoice(engine, sw, sw.seller, [(customer, 2)])
    answer = await request_summaries(api, sw.seller, [invoice_id])
    [summary_id] = await created(temporal, answer["request_id"])
    return summary_id


async def tax_sync_result(temporal: Client, summary_id: str) -> TaxSyncProgress:
    handle = temporal.get_workflow_handle(workflow_id(summary_id), result_type=TaxSyncProgress)
    return await handle.result()


class GatedProvider:
    """The built-in provider behind a gate, so a test can look at TaxInProgress."""

    name = "builtin"

    def __init__(self) -> None:
        self.inner = BuiltinTaxProvider()
        self.entered, self.gate = threading.Event(), threading.Event()

    def create_or_adjust(self, document: TaxDocument) -> TaxResult:
        self.entered.set()
        self.gate.wait(20)
        return self.inner.create_or_adjust(document)


async def test_a_summary_invoice_is_created_new(
    api: httpx.AsyncClient, sw: SummaryWorld, engine: Engine
) -> None:
    """The consolidation itself (no workflow here): summaries start as New, without reference
    code or PDF, and are not retryable."""
    invoice_id = make_invoice(engine, sw, sw.seller, [(sw.c1, 1)])
    with engine.begin() as conn:
        accepted = create_request(
            conn,
            SummaryRequestIn(
                issuer_id=sw.seller, invoice_ids=[invoice_id], invoice_date=date(2026, 11, 30)
            ),
            "test",
        )
        made = consolidate(conn, accepted.request_id)
        assert consolidate(conn, accepted.request_id) == made.model_copy(
            update={"lines_consolidated": 0}
        )  # a second run makes nothing new
    [summary_id] = made.summary_invoice_ids
    new = await summary(api, summary_id)
    assert (new["state"], new["reference_code"], new["pdf_available"]) == ("New", None, False)
    assert (await api.get(f"/v1/summary-invoices/{summary_id}/pdf")).status_code == 404
    refused = await api.post(f"/v1/summary-invoices/{summary_id}/tax-sync/retry")
    assert refused.status_code == 409 and "only a TaxFailed" in refused.json()["detail"]


async def test_tax_sync_goes_in_progress_then_completed_with_reference_tax_and_pdf(
    temporal: Client, engine: Engine, database_url: str, sw: SummaryWorld
) -> None:
    provider = GatedProvider()
    async with tax_stack(temporal, engine, database_url, provider) as api:
        summary_id = await one_summary(api, temporal, engine, sw, sw.c1)
        assert await asyncio.to_thread(provider.entered.wait, 20)

        during = await summary(api, summary_id)
        assert during["state"] == "TaxInProgress" and during["reference_code"] is None
        assert during["pdf_available"] is False
        early = await api.get(f"/v1/summary-invoices/{summary_id}/pdf")
        assert early.status_code == 404 and "(now TaxInProgress)" in early.json()["detail"]
        handle = temporal.get_workflow_handle(workflow_id(summary_id))
        progress = await handle.query(TaxSyncWorkflow.progress)
        assert progress.state == "TaxInProgress"
        attributes = (await handle.describe()).typed_search_attributes
        assert attributes.get(sa.BILLING_STATE) == "TaxInProgress"
        assert attributes.get(sa.INVOICE_CODE) == "SUM-000001"
        assert attributes.get(sa.CUSTOMER_ID) == sw.c1

        provider.gate.set()
        result = await tax_sync_result(temporal, summary_id)
        done = await summary(api, summary_id)
    assert result.state == done["state"] == "TaxCompleted"
    assert done["reference_code"] == result.reference_code
    assert done["reference_code"] == provider.inner.documents[summary_id].reference_code
    assert (done["subtotal"], done["tax"], done["total"]) == ("20.00", "3.80", "23.80")
    assert done["pdf_available"] is True and done["tax_attempts"] == 1
    assert (await handle.describe()).typed_search_attributes.get(sa.BILLING_STATE) == "TaxCompleted"
    assert tax_document_rows(engine, summary_id) == 1


async def test_transient_failures_retry_with_backoff_and_make_one_document(
    temporal: Client, engine: Engine, database_url: str, sw: SummaryWorld
) -> None:
    provider = BuiltinTaxProvider(BuiltinTaxConfig(transient_failures=2))
    async with tax_stack(temporal, engine, database_url, provider) as api:
        summary_id = await one_summary(api, temporal, engine, sw, sw.c3)
        result = await tax_sync_result(temporal, summary_id)
        done = await summary(api, summary_id)

    assert result.state == "TaxCompleted" and done["tax"] == "4.00"  # FR 20 %
    assert provider.calls[summary_id] == 3  # two 503s, then success: one sync attempt
    assert list(provider.documents) == [summary_id]
    assert provider.documents[summary_id].adjustments == 0
    assert tax_document_rows(engine, summary_id) == 1
    assert done["tax_attempts"] == 1


async def test_a_permanent_failure_is_tax_failed_at_once_and_an_operator_retry_completes_it(
    temporal: Client, engine: Engine, database_url: str, sw: SummaryWorld
) -> None:
    config = BuiltinTaxConfig(permanent_failures=1)
    provider = BuiltinTaxProvider(config)
    async with tax_stack(temporal, engine, database_url, provider) as api:
        summary_id = await one_summary(api, temporal, engine, sw, sw.c1)
        failed = await wait_state(api, summary_id, "TaxFailed")
        assert failed["tax_failure_reason"] == config.permanent_reason
        assert failed["reference_code"] is None
        assert provider.calls[summary_id] == 1  # not retried by Temporal
        assert provider.documents == {}
        handle = temporal.get_workflow_handle(workflow_id(summary_id))
        for _ in range(100):  # the workflow publishes its state right after the database
            if (await handle.describe()).typed_search_attributes.get(
                sa.BILLING_STATE
            ) == "TaxFailed":
                break
            await asyncio.sleep(0.05)
        assert (await handle.describe()).typed_search_attributes.get(
            sa.BILLING_STATE
        ) == "TaxFailed"
        listed = (
            await api.get(
                "/v1/summary-invoices", params={"issuer_id": sw.seller, "state": "TaxFailed"}
            )
        ).json()["items"]
        assert [s["id"] for s in listed] == [summary_id]

        retried = await api.post(f"/v1/summary-invoices/{summary_id}/tax-sync/retry")
        assert retried.status_code == 202, retried.text
        result = await tax_sync_result(temporal, summary_id)
        done = await summary(api, summary_id)
        again = await api.post(f"/v1/summary-invoices/{summary_id}/tax-sync/retry")

    assert result.state == done["state"] == "TaxCompleted"
    assert done["tax_failure_reason"] is None and done["tax_attempts"] == 2
    assert list(provider.documents) == [summary_id]
    assert tax_document_rows(engine, summary_id) == 1
    assert again.status_code == 409


async def test_a_timed_out_call_is_retried_and_still_makes_one_document(
    temporal: Client, engine: Engine, database_url: str, sw: SummaryWorld
) -> None:
    provider = BuiltinTaxProvider(BuiltinTaxConfig(timeouts=1, timeout_seconds=1.5))
    async with tax_stack(
        temporal, engine, database_url, provider, call_timeout=timedelta(seconds=1)
    ) as api:
        summary_id = await one_summary(api, temporal, engine, sw, sw.c1)
        result = await tax_sync_result(temporal, summary_id)
    assert result.state == "TaxCompleted"
    assert provider.calls[summary_id] == 2
    # The slow call may still finish after its timeout (or be cancelled in its thread by the
    # worker): either way it can only adjust the same document, never add a second.
    await asyncio.sleep(1)
    assert list(provider.documents) == [summary_id]
    assert provider.documents[summary_id].adjustments in (0, 1)
    assert tax_document_rows(engine, summary_id) == 1


async def test_transient_failures_that_never_end_give_up_as_tax_failed(
    temporal: Client, engine: Engine, database_url: str, sw: SummaryWorld
) -> None:
    provider = BuiltinTaxProvider(BuiltinTaxConfig(transient_failures=50))
    async with tax_stack(temporal, engine, database_url, provider, max_attempts=3) as api:
        summary_id = await one_summary(api, temporal, engine, sw, sw.c1)
        failed = await wait_state(api, summary_id, "TaxFailed")
    assert failed["tax_failure_reason"].startswith("Gave up after 3 attempts; last error: 503")
    assert provider.calls[summary_id] == 3


async def test_an_invalid_address_fails_until_the_partner_is_fixed(
    api: httpx.AsyncClient, temporal: Client, sw: SummaryWorld, engine: Engine
) -> None:
    """On the shared stack with the default built-in provider: a receiver without a country is
    an invalid address, permanent until someone sets it."""
    await put(
        api, f"/v1/partners/{sw.c2}", partner("Customer Two", "customer", sw.seller, country=None)
    )
    summary_id = await one_summary(api, temporal, engine, sw, sw.c2)
    failed = await wait_state(api, summary_id, "TaxFailed")
    assert failed["tax_failure_reason"].startswith("Invalid address: receiver")

    await put(
        api, f"/v1/partners/{sw.c2}", partner("Customer Two", "customer", sw.seller, country="DE")
    )
    assert (await api.post(f"/v1/summary-invoices/{summary_id}/tax-sync/retry")).status_code == 202
    assert (await tax_sync_result(temporal, summary_id)).state == "TaxCompleted"
    assert tax_document_rows(engine, summary_id) == 1
