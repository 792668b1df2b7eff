"""Bearer-token authentication."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")


@dataclass(frozen=True)
class Principal:
    name: str


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    challenge = {"WWW-Authenticate": 'Bearer realm="billing"'}
    if credentials is None:
        raise HTTPException(
            401, "Send the API token as `Authorization: Bearer <token>`.", headers=challenge
        )
    expected: str = request.app.state.admin_token
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(401, "The bearer token is not valid.", headers=challenge)
    return Principal(name="admin")
