"""The command line both services share in shape: ``serve`` and ``db upgrade|downgrade|...``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
import uvicorn
from alembic import command
from pydantic import ValidationError

from fltr_shared import migrations
from fltr_shared.logging import configure_logging
from fltr_shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def load_settings(factory: Callable[[], S], *, console_logs: bool = False) -> S:
    """Build settings for a command, or exit 2 saying what is wrong."""
    try:
        settings = factory()
    except (ValidationError, ValueError) as exc:
        typer.echo(f"Invalid settings: {exc}", err=True)
        raise typer.Exit(2) from exc
    if console_logs:
        configure_logging(settings.log_level, "console")
    return settings


def build_cli(
    *,
    service: str,
    settings_factory: Callable[[], S],
    app_factory: str,
    migration_spec: migrations.MigrationSpec,
) -> typer.Typer:
    cli = typer.Typer(
        help=f"FLTR {service} service.", no_args_is_help=True, pretty_exceptions_enable=False
    )
    db = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
    cli.add_typer(db, name="db")

    @cli.command()
    def serve(
        host: Annotated[str | None, typer.Option(help="Overrides HOST.")] = None,
        port: Annotated[int | None, typer.Option(help="Overrides PORT.")] = None,
        workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
        reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
    ) -> None:
        """Serve the HTTP API with uvicorn."""
        settings = load_settings(settings_factory)
        uvicorn.run(
            app_factory,
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            reload=reload,
            access_log=False,  # our middleware writes one structured line per request
            log_config=None,  # the app configures logging itself
            timeout_graceful_shutdown=10,
        )

    @db.command()
    def upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
        """Apply migrations up to REVISION (default: head)."""
        settings = load_settings(settings_factory, console_logs=True)
        migrations.upgrade(migration_spec, settings.database_url, revision)

    @db.command()
    def downgrade(revision: Annotated[str, typer.Argument(help="e.g. base or -1")]) -> None:
        """Revert migrations down to REVISION."""
        settings = load_settings(settings_factory, console_logs=True)
        migrations.downgrade(migration_spec, settings.database_url, revision)

    @db.command()
    def current() -> None:
        """Show the revision the database is at."""
        settings = load_settings(settings_factory, console_logs=True)
        command.current(migrations.alembic_config(migration_spec, settings.database_url))

    @db.command()
    def history() -> None:
        """List the migrations."""
        settings = load_settings(settings_factory, console_logs=True)
        command.history(migrations.alembic_config(migration_spec, settings.database_url))

    return cli
