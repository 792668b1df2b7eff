"""Legal entities, accounting periods, licences and the delta-invoicing switch as the API takes
and shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from billing.contracts.common import Identifier, Strict

# Licence tokens as administrators type them: DELTA_INVOICING.
LicenceToken = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
DELTA_INVOICING_LICENCE = "DELTA_INVOICING"


class LegalEntityIn(Strict):
    issuer_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    active: bool = True


class LegalEntity(LegalEntityIn):
    id: str


class AccountingPeriodIn(Strict):
    issuer_id: Identifier
    legal_entity_id: Identifier
    starts_on: date
    ends_on: date = Field(description="Inclusive: the period's last day.")
    invoicing_closed: bool = False

    @model_validator(mode="after")
    def _ends_after_start(self) -> AccountingPeriodIn:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must be on or after starts_on")
        return self


class AccountingPeriod(AccountingPeriodIn):
    id: str


class DeltaInvoicing(BaseModel):
    enabled: bool = False
    enabled_at: datetime | None = None
