"""Outgoing webhooks end to end: a partner registers an endpoint, an order is invoiced, and a
real HTTP server on loopback that fails, then times out, then accepts receives one signed event,
with every attempt in the delivery log; redelivery sends the same event again."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import trustme
from sqlalchemy import Engine, func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.webhooks import TargetRefused, pinned_target, post_event
from billing.contracts.webhooks import WebhookDeliveryResult, WebhookRetryOptions
from billing.schema import webhook_events
from billing.settings import Settings
from billing.temporal.webhook_relay import WebhookRelay
from billing.webhook_signature import verify
from billing.webhook_targets import pinned
from tests.conftest import api_client
from tests.test_partner_tokens import as_partner
from tests.webhook_receiver import ACCEPT, FAIL, TIMEOUT, webhook_receiver
from tests.world import World, billed, report, submit

FAST = WebhookRetryOptions(
    attempt_timeout=timedelta(seconds=1),
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=1),
    give_up_after=timedelta(minutes=5),
)


@pytest.fixture(scope="module")
async def relay(
    temporal_env: WorkflowEnvironment, engine: Engine, settings: Settings, worker: None
) -> AsyncIterator[None]:
    relay = WebhookRelay(
        engine, temporal_env.client, task_queue=settings.task_queue, options=FAST, interval=0.1
    )
    task = asyncio.create_task(relay.run())
    yield
    task.cancel()


async def until(condition: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.1)


async def test_an_invoiced_order_reaches_the_order_system_once_signed_after_failures(
    api: httpx.AsyncClient, temporal: Client, world: World, relay: None
) -> None:
    with webhook_receiver([FAIL, TIMEOUT], hang_seconds=2.5) as receiver:
        async with as_partner(api, world.seller) as seller:
            created = await seller.post(
                "/v1/webhook-endpoints",
                json={"url": receiver.url, "events": ["order.invoiced", "order.stuck"]},
            )
            assert created.status_code == 201, created.text
            endpoint = created.json()
            assert endpoint["partner_id"] == world.seller
            assert endpoint["secret"].startswith("whsec_")

            number = world.order_number("WH")
            await submit(api, number, world.seller, world.customer, [("1", world.security, 2)])
            await report(api, number, "1", "succeeded")
            result = await billed(temporal, number)
            await until(lambda: len(receiver.accepted()) == 1)

            answers = [r.answer for r in receiver.received]
            assert answers == [FAIL, TIMEOUT, ACCEPT]
            got = receiver.accepted()[0]
            body = json.loads(got.body)
            assert body["type"] == "order.invoiced"
            assert body["data"]["order_number"] == number
            assert body["data"]["invoice_id"] == result.invoice_id
            assert body["data"]["total"] == "20.00"
            assert got.headers["Billing-Event-Id"] == body["id"]
            assert verify(
                endpoint["secret"],
                int(got.headers["Billing-Timestamp"]),
                got.body,
                got.headers["Billing-Signature"],
                now=int(time.time()),
            )
            # Every attempt carried the same event id and body.
            assert {r.body for r in receiver.received} == {got.body}

            # The receiver answers before the sender logs the attempt: wait for the workflow.
            await temporal.get_workflow_handle(
                f"webhook-{body['id']}", result_type=WebhookDeliveryResult
            ).result()
            log = (await seller.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()
            [delivery] = log
            assert delivery["event_id"] == body["id"] and delivery["status"] == "delivered"
            assert [
                (a["attempt"], a["status_code"], a["succeeded"]) for a in delivery["attempts"]
            ] == [
                (1, 500, False),
                (2, None, False),
                (3, 200, True),
            ]
            assert "did not answer" in delivery["attempts"][1]["error"]

            redelivered = await seller.post(
                f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{body['id']}/redeliver"
            )
            assert redelivered.status_code == 202, redelivered.text
            assert redelivered.json()["generation"] == 1
            await until(lambda: len(receiver.accepted()) == 2)
            again = receiver.accepted()[1]
            assert again.body == got.body and again.headers["Billing-Event-Id"] == body["id"]
            outcome = await temporal.get_workflow_handle(
                f"webhook-{body['id']}-redelivery-1", result_type=WebhookDeliveryResult
            ).result()
            assert outcome.delivered and outcome.status_code == 200


async def test_billing_the_same_order_again_records_no_second_event(
    api: httpx.AsyncClient, temporal: Client, world: World, engine: Engine, relay: None
) -> None:
    from billing.store.order_billing import bill_order
    from billing.store.webhooks import create_endpoint
    from billing.webhook_events import WebhookEventType

    with webhook_receiver([]) as receiver:
        with engine.begin() as conn:
            create_endpoint(conn, world.seller, receiver.url, [WebhookEventType.order_invoiced])
        number = world.order_number("WH-TWICE")
        await submit(api, number, world.seller, world.customer, [("1", world.security, 1)])
        await report(api, number, "1", "succeeded")
        await billed(temporal, number)
        with engine.begin() as conn:
            bill_order(conn, number)  # what a retried activity would do
            count = conn.scalar(
                select(func.count())
                .select_from(webhook_events)
                .where(webhook_events.c.subject == number)
            )
        assert count == 1
        await until(lambda: len(receiver.accepted()) == 1)


async def test_a_partner_sees_only_its_own_endpoints_and_their_deliveries(
    api: httpx.AsyncClient, world: World
) -> None:
    async with (
        as_partner(api, world.seller) as seller,
        as_partner(api, world.seller_monthly) as other,
    ):
        mine = await seller.post(
            "/v1/webhook-endpoints",
            json={"url": "https://orders.example/hooks", "events": ["billing_run.completed"]},
        )
        assert mine.status_code == 201
        endpoint_id = mine.json()["id"]
        listed = (await other.get("/v1/webhook-endpoints")).json()
        assert endpoint_id not in {e["id"] for e in listed}
        assert "secret" not in (await seller.get("/v1/webhook-endpoints")).json()[0]
        hidden = await other.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries")
        assert hidden.status_code == 404
        # The same refusal as for an id that does not exist: nothing confirmed.
        assert hidden.json()["detail"] == f"No webhook endpoint with id {endpoint_id!r}."
        refused = await other.post(
            f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{uuid.uuid4()}/redeliver"
        )
        assert refused.status_code == 404
        for_someone_else = await other.post(
            "/v1/webhook-endpoints",
            json={
                "url": "https://x.example/h",
                "events": ["order.stuck"],
                "partner_id": world.seller,
            },
        )
        assert for_someone_else.status_code == 403
    bad = await api.post(
        "/v1/webhook-endpoints",
        json={"url": "not a url", "events": ["order.paid"], "partner_id": world.seller},
    )
    assert bad.status_code == 422
    unnamed = await api.post(
        "/v1/webhook-endpoints", json={"url": "https://x.example/h", "events": ["order.stuck"]}
    )
    assert unnamed.status_code in {400, 422}


async def test_an_endpoint_on_a_private_address_is_refused_unless_the_deployment_allows_it(
    temporal: Client, engine: Engine, settings: Settings, world: World
) -> None:
    public_only = settings.model_copy(update={"webhook_allow_private_targets": False})
    async with api_client(public_only, engine, temporal) as admin:
        for url in [
            "http://127.0.0.1:9/hooks",
            "http://localhost/hooks",
            "http://169.254.169.254/",
        ]:
            refused = await admin.post(
                "/v1/webhook-endpoints",
                json={"url": url, "events": ["order.invoiced"], "partner_id": world.seller},
            )
            assert refused.status_code == 422, refused.text
            assert "public addresses only" in refused.json()["detail"]
            assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in refused.json()["detail"]


def test_a_delivery_is_refused_when_the_endpoints_name_resolves_to_a_private_address() -> None:
    # Names pass registration; the worker resolves them before every attempt.
    with pytest.raises(TargetRefused, match="public addresses only"):
        pinned_target("http://localhost:9/hooks", allow_private=False)
    with pytest.raises(TargetRefused, match="Could not resolve"):
        pinned_target("http://no-such-host.invalid/hooks", allow_private=False)


def test_a_delivery_goes_to_the_address_it_checked_under_the_endpoints_own_name() -> None:
    target = pinned_target("http://localhost:9/hooks?x=1", allow_private=True)
    assert target.url in {"http://127.0.0.1:9/hooks?x=1", "http://[::1]:9/hooks?x=1"}
    assert (target.host_header, target.server_name) == ("localhost:9", "localhost")


def test_a_pinned_https_delivery_checks_the_certificate_by_the_endpoints_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # the CA the worker trusts
    for name, answered in [("hooks.test", True), ("elsewhere.test", False)]:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(name).configure_cert(tls)
        with webhook_receiver([], tls=tls) as receiver:
            port = urlsplit(receiver.url).port
            target = pinned(f"https://hooks.test:{port}/hooks", "127.0.0.1")
            status, error = post_event(target, b"{}", {}, timedelta(seconds=5))
        if answered:  # connected to the pinned address, the certificate checked by the name
            assert (status, error) == (200, None)
            assert receiver.received[0].headers["Host"] == f"hooks.test:{port}"
        else:  # a certificate for another name is refused, as without pinning
            assert status is None and error is not None and "certificate" in error
            assert receiver.received == []
