"""The engine's one data converter: pydantic models as JSON, exactly as
`temporalio.contrib.pydantic` converts them, with one payload converter for the whole process."""

from __future__ import annotations

from typing import ClassVar

from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """The SDK makes a payload converter from its class for every workflow it creates and twice
    for every workflow activation it handles. A pydantic one is a chain of converters with its
    own cache of type adapters, so each one made also built the adapters for the engine's models
    again: a few percent of a worker's CPU per order. Conversion depends only on the value and
    its type, and the cache is thread-safe, so every caller gets the same instance."""

    _shared: ClassVar[SharedPydanticPayloadConverter | None] = None

    def __new__(cls) -> SharedPydanticPayloadConverter:
        shared = cls._shared
        if shared is None:
            # Two threads racing here each build one; either serves, and one is kept.
            shared = super().__new__(cls)
            PydanticPayloadConverter.__init__(shared)
            cls._shared = shared
        return shared

    def __init__(self) -> None:
        """Built once, in `__new__`."""


DATA_CONVERTER = DataConverter(payload_converter_class=SharedPydanticPayloadConverter)
