"""`billing tokens ...` against the real API over HTTP: issue with scopes, list without the
secret, revoke, and the revoked token is refused."""

from __future__ import annotations

import httpx

from tests.cli import billing
from tests.world import World


async def test_tokens_are_issued_listed_and_revoked_from_the_command_line(
    live_api_url: str, world: World
) -> None:
    code, out = await billing(
        live_api_url, "tokens", "issue", world.seller, "--label", "shop", "--scope", "read"
    )
    assert code == 0, out
    secret = next(word for word in out.split() if word.startswith("bpt_"))
    token_id = out.split()[1]

    code, out = await billing(live_api_url, "tokens", "list", world.seller)
    assert code == 0, out
    assert "shop" in out and token_id[:8] in out and "read" in out
    assert secret not in out

    async with httpx.AsyncClient(
        base_url=live_api_url, headers={"Authorization": f"Bearer {secret}"}
    ) as holder:
        assert (await holder.get(f"/v1/partners/{world.seller}")).status_code == 200
        code, out = await billing(live_api_url, "tokens", "revoke", world.seller, token_id)
        assert code == 0 and "Revoked" in out, out
        refused = await holder.get(f"/v1/partners/{world.seller}")
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

    code, out = await billing(live_api_url, "tokens", "revoke", world.seller, "no-such-token")
    assert code == 1 and "no token" in out
