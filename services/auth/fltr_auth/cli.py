"""``fltr-auth``: serve the auth service, run its migrations, and administer users."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fltr_auth.admin.schemas import Role
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.settings import AuthSettings
from fltr_auth.users import service as users
from fltr_shared.cli import build_cli, load_settings
from fltr_shared.db import Database, create_engine

cli = build_cli(
    service="auth",
    settings_factory=AuthSettings,
    app_factory="fltr_auth.app:create_app",
    migration_spec=AUTH_MIGRATIONS,
)
users_cli = typer.Typer(help="Administer users (e.g. make the first admin).", no_args_is_help=True)
cli.add_typer(users_cli, name="users")


async def _set_role(settings: AuthSettings, email: str, role: str) -> bool:
    database = Database(create_engine(settings))
    try:
        async with database.transaction() as db:
            user = await users.get_by_email(db, email)
            if user is None:
                return False
            user.role = role
            return True
    finally:
        await database.dispose()


@users_cli.command("set-role")
def set_role(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    role: Annotated[Role, typer.Argument(help="curator, developer or admin.")],
) -> None:
    """Give a user a role; the way to make the first admin."""
    settings = load_settings(AuthSettings)
    if not asyncio.run(_set_role(settings, email, role)):
        typer.echo(f"No user with email {email}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{email} is now {role}.")


def main() -> None:
    cli()
