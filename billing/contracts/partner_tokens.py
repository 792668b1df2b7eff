"""Partner API tokens as the administrator issues, lists and revokes them."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from billing.contracts.common import Strict
from billing.vocabulary import TokenScope

# What a token gets when the request names no scopes: what an order system needs, not billing.
DEFAULT_SCOPES = [TokenScope.read, TokenScope.orders]


class TokenIn(Strict):
    label: str = Field(default="api", min_length=1, max_length=200)
    scopes: list[TokenScope] = Field(
        default_factory=lambda: list(DEFAULT_SCOPES),
        min_length=1,
        description="`read`, `orders` (an order system's calls), `billing-admin` (summary "
        "invoices, tax-sync retries). Default: read and orders.",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="The token stops working then; never, if absent."
    )

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, scopes: list[TokenScope]) -> list[TokenScope]:
        return sorted(set(scopes))

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, expires_at: datetime | None) -> datetime | None:
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise ValueError("expires_at must be in the future")
        return expires_at


class TokenView(BaseModel):
    """A token as listed: never its secret (only its hash is stored)."""

    id: str
    partner_id: str
    label: str
    scopes: list[TokenScope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedToken(TokenView):
    token: str = Field(description="Shown once: only its hash is stored.")
