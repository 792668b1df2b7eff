"""Partner API tokens, issued by the administrator."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from billing.contracts.common import Strict
from billing.store.partner_tokens import issue_token
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["reference data"])


class TokenIn(Strict):
    label: str = Field(default="api", min_length=1, max_length=200)


class IssuedToken(BaseModel):
    partner_id: str
    label: str
    token: str = Field(description="Shown once: only its hash is stored.")


@router.post("/partners/{partner_id}/tokens", status_code=201, response_model=IssuedToken)
async def issue_partner_token(
    partner_id: str, body: TokenIn | None = None, ctx: AppContext = Depends(get_context)
) -> IssuedToken:
    """Issue an API token for a partner; with it the partner sees only its own data (what it
    issued and what it received) and acts only for itself."""
    label = (body or TokenIn()).label
    token = await ctx.transaction(issue_token, partner_id, label)
    return IssuedToken(partner_id=partner_id, label=label, token=token)
