"""Commands that run parts of the engine itself."""

from __future__ import annotations

import typer

from billing.database import resolve_database_url
from billing.settings import get_settings


def register(app: typer.Typer) -> None:
    db = typer.Typer(no_args_is_help=True, help="The database schema.")
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def upgrade() -> None:
        """Apply the Alembic migrations to DATABASE_URL (or the embedded server)."""
        from billing.migrate import upgrade as run_upgrade

        run_upgrade(resolve_database_url(get_settings().database_url))
        typer.echo("database schema is up to date")

    @app.command()
    def worker() -> None:
        """Run a Temporal worker (needs TEMPORAL_ADDRESS)."""
        from worker import main

        main()

    @app.command("api")
    def serve_api(host: str = "127.0.0.1", port: int = 8000) -> None:
        """Serve the HTTP API."""
        import uvicorn

        from billing.structured_logs import configure_logging

        settings = get_settings()
        configure_logging(level=settings.log_level, json_lines=settings.log_format == "json")
        uvicorn.run("starter.api.app:app", factory=True, host=host, port=port, log_config=None)
