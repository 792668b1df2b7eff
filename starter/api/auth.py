"""Bearer-token authentication: the administrator's token (BILLING_ADMIN_TOKEN, full access) or a
partner's own API token (issued by an administrator; only its hash is stored), which sees only
that partner's data: what it issued and what it received."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from billing.errors import Forbidden
from billing.store.partner_tokens import partner_for_token
from starter.api.context import AppContext

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")


@dataclass(frozen=True)
class Principal:
    name: str
    # None for the administrator; the partner's id for a partner token.
    partner_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.partner_id is None

    @property
    def visible_to(self) -> str | None:
        """What store queries filter by: None (everything) for the administrator."""
        return self.partner_id

    def ensure_acts_for(self, partner_id: str) -> None:
        """A partner acts only for itself (consolidation reaches one level down from it)."""
        if self.partner_id is not None and self.partner_id != partner_id:
            raise Forbidden(
                f"This token belongs to {self.partner_id}; it cannot act for {partner_id}."
            )


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    challenge = {"WWW-Authenticate": 'Bearer realm="billing"'}
    if credentials is None:
        raise HTTPException(
            401, "Send the API token as `Authorization: Bearer <token>`.", headers=challenge
        )
    token = credentials.credentials
    expected: str = request.app.state.admin_token
    if hmac.compare_digest(token.encode(), expected.encode()):
        return Principal(name="admin")
    context: AppContext = request.app.state.context
    partner_id = await context.transaction(partner_for_token, token)
    if partner_id is None:
        raise HTTPException(401, "The bearer token is not valid.", headers=challenge)
    return Principal(name=f"partner:{partner_id}", partner_id=partner_id)


async def require_admin(principal: Principal = Depends(authenticate)) -> Principal:
    if not principal.is_admin:
        raise HTTPException(403, "Only the administrator's token may do this.")
    return principal
