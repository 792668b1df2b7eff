"""Bearer-token authentication: the administrator's token (BILLING_ADMIN_TOKEN, full access) or a
partner's own API token (issued by an administrator; only its hash is stored). A partner sees
itself and the level below: what it issued and what it received, its own partner record and its
children's. Its token's scopes say what it may do besides reading (`orders`, `billing-admin`)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from billing.errors import Forbidden
from billing.store.partner_tokens import RefusedToken, token_holder
from billing.vocabulary import PartnerLevel, TokenScope
from starter.api.context import AppContext

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="billing"'}


@dataclass(frozen=True)
class Principal:
    name: str
    # None for the administrator; the partner's id for a partner token.
    partner_id: str | None = None
    level: PartnerLevel | None = None
    scopes: frozenset[TokenScope] = field(default_factory=lambda: frozenset(TokenScope))

    @property
    def is_admin(self) -> bool:
        return self.partner_id is None

    @property
    def visible_to(self) -> str | None:
        """What store queries filter by: None (everything) for the administrator."""
        return self.partner_id

    def ensure_acts_for(self, partner_id: str) -> None:
        """A partner acts only for itself. The refusal reads the same whether `partner_id`
        exists or not, so it confirms nothing."""
        if self.partner_id is not None and self.partner_id != partner_id:
            raise Forbidden(
                f"This token belongs to {self.partner_id}; it cannot act for {partner_id}."
            )


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    if credentials is None:
        raise HTTPException(
            401, "Send the API token as `Authorization: Bearer <token>`.", headers=_CHALLENGE
        )
    token = credentials.credentials
    expected: str = request.app.state.admin_token
    if hmac.compare_digest(token.encode(), expected.encode()):
        return Principal(name="admin")
    context: AppContext = request.app.state.context
    holder = await context.transaction(token_holder, token, datetime.now(UTC))
    if holder is None:
        raise HTTPException(401, "The bearer token is not valid.", headers=_CHALLENGE)
    if isinstance(holder, RefusedToken):
        raise HTTPException(401, holder.reason, headers=_CHALLENGE)
    return Principal(
        name=f"partner:{holder.partner_id}",
        partner_id=holder.partner_id,
        level=holder.level,
        scopes=holder.scopes,
    )


async def require_admin(principal: Principal = Depends(authenticate)) -> Principal:
    if not principal.is_admin:
        raise HTTPException(403, "Only the administrator's token may do this.")
    return principal


def require_scope(scope: TokenScope) -> Callable[..., Awaitable[Principal]]:
    """A dependency refusing (403) a partner token without `scope`; the administrator has all."""

    async def check(principal: Principal = Depends(authenticate)) -> Principal:
        if scope not in principal.scopes:
            raise HTTPException(
                403,
                f"This token lacks the `{scope.value}` scope; ask the administrator for a token "
                f"with it (POST /v1/partners/{{id}}/tokens with scopes).",
            )
        return principal

    return check


can_read = require_scope(TokenScope.read)
can_order = require_scope(TokenScope.orders)
can_run_billing = require_scope(TokenScope.billing_admin)
