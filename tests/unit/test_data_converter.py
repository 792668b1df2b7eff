"""The engine's data converter shares one payload converter and converts exactly as the SDK's
pydantic converter does, so histories recorded with either decode the same."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio.contrib.pydantic import pydantic_data_converter

from billing.contracts.order_workflow import OrderBillingResult, OrderWorkflowInput
from billing.temporal.data_converter import DATA_CONVERTER, SharedPydanticPayloadConverter
from billing.vocabulary import Outcome

ORDER = OrderWorkflowInput(
    order_number="SO-1001",
    issuer_id="reseller-1",
    customer_id="customer-1",
    item_ids=["1", "2"],
    stuck_after=timedelta(hours=24, seconds=1),
    outcomes={"1": Outcome.succeeded},
    upserts_changes_only=True,
)


def test_every_payload_converter_made_from_the_class_is_the_same_one() -> None:
    assert SharedPydanticPayloadConverter() is SharedPydanticPayloadConverter()
    # The SDK makes a data converter like this one for each workflow activation it handles.
    made = dataclasses.replace(DATA_CONVERTER)
    assert made.payload_converter._inner_payload_converter is SharedPydanticPayloadConverter()  # type: ignore[attr-defined]


def test_payloads_are_those_of_the_sdk_pydantic_converter() -> None:
    values = [ORDER, "order-SO-1001", 3, None, {"1": "failed"}]
    ours = DATA_CONVERTER.payload_converter.to_payloads(values)
    sdk = pydantic_data_converter.payload_converter.to_payloads(values)
    assert [(p.metadata, p.data) for p in ours] == [(p.metadata, p.data) for p in sdk]


def test_models_come_back_as_they_went() -> None:
    converter = DATA_CONVERTER.payload_converter
    result = OrderBillingResult(
        invoice_id="7",
        invoice_number="INV-7",
        per_order_items=["1"],
        monthly_items=[],
        failed_items=["2"],
    )
    payloads = converter.to_payloads([ORDER, result])
    assert converter.from_payloads(payloads, [OrderWorkflowInput, OrderBillingResult]) == [
        ORDER,
        result,
    ]
