"""`billing tokens ...`: partners' API tokens: issue one with scopes and an expiry, list them
(never the secret), revoke one."""

from __future__ import annotations

import typer

from starter.cli.common import api, console, table

app = typer.Typer(no_args_is_help=True, help="Partners' API tokens.")


@app.command()
def issue(
    partner: str = typer.Argument(..., help="The partner the token belongs to."),
    label: str = typer.Option("api", help="What the token is for, e.g. the order system's name."),
    scope: list[str] = typer.Option(
        ["read", "orders"], help="read, orders, billing-admin; repeat for several."
    ),
    expires_at: str | None = typer.Option(None, help="ISO 8601 time it stops working."),
) -> None:
    """Issue a token; it is printed once and never shown again."""
    body = {"label": label, "scopes": scope, "expires_at": expires_at}
    with api() as client:
        issued = client.post(f"/v1/partners/{partner}/tokens", body)
    console.print(f"Token {issued['id']} for {partner} ({', '.join(issued['scopes'])}):")
    console.print(issued["token"], soft_wrap=True)


@app.command("list")
def list_tokens(
    partner: str = typer.Argument(..., help="The partner whose tokens to list."),
) -> None:
    """The partner's tokens: label, scopes, created, last used, expiry, revoked."""
    with api() as client:
        rows = [
            [
                t["id"],
                t["label"],
                ",".join(t["scopes"]),
                t["created_at"],
                t["last_used_at"] or "never",
                t["expires_at"] or "never",
                t["revoked_at"] or "",
            ]
            for t in client.get(f"/v1/partners/{partner}/tokens")
        ]
    table(
        f"Tokens of {partner}",
        ["id", "label", "scopes", "created", "last used", "expires", "revoked"],
        rows,
    )


@app.command()
def revoke(
    partner: str = typer.Argument(..., help="The partner the token belongs to."),
    token_id: str = typer.Argument(..., help="The token's id, from `billing tokens list`."),
) -> None:
    """Revoke a token at once; requests with it then answer 401."""
    with api() as client:
        revoked = client.delete(f"/v1/partners/{partner}/tokens/{token_id}")
    console.print(f"Revoked token {revoked['id']} ({revoked['label']}) of {partner}.")
