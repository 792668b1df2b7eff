"""Partner API tokens, issued, listed and revoked by the administrator."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from billing.contracts.partner_tokens import IssuedToken, TokenIn, TokenView
from billing.store import partner_tokens as store
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["partner tokens"])


@router.post("/partners/{partner_id}/tokens", status_code=201, response_model=IssuedToken)
async def issue_partner_token(
    partner_id: str, body: TokenIn | None = None, ctx: AppContext = Depends(get_context)
) -> IssuedToken:
    """Issue an API token for a partner, with scopes (default `read` and `orders`) and an
    optional expiry. With it the partner sees only its own data (what it issued and what it
    received) and acts only for itself. The token is in this answer only."""
    return await ctx.transaction(store.issue_token, partner_id, body or TokenIn())


@router.get("/partners/{partner_id}/tokens", response_model=list[TokenView])
async def list_partner_tokens(
    partner_id: str, ctx: AppContext = Depends(get_context)
) -> list[TokenView]:
    """The partner's tokens: labels, scopes, when made, last used, expiry, revocation; never
    the secret."""
    return await ctx.transaction(store.list_tokens, partner_id)


@router.delete("/partners/{partner_id}/tokens/{token_id}", response_model=TokenView)
async def revoke_partner_token(
    partner_id: str, token_id: str, ctx: AppContext = Depends(get_context)
) -> TokenView:
    """Revoke a token: it stops working at once (401). Revoking it again changes nothing."""
    return await ctx.transaction(store.revoke_token, partner_id, token_id)
