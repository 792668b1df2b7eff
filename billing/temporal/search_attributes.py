"""Registering the engine's custom search attributes (the keys and their values are in
`workflows.search_attributes`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from workflows import search_attributes


async def register_search_attributes(
    client: Client, keys: Sequence[SearchAttributeKey[Any]] = search_attributes.ALL
) -> None:
    """Add the engine's custom search attributes where they are missing. Without them a workflow
    that sets one fails its tasks forever, so start-up does this before any worker runs."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()  # the time-skipping test server only implements adding them
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in keys
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
