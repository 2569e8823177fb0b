"""``fltr-auth``: serve the auth service and run its migrations."""

from __future__ import annotations

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.settings import AuthSettings
from fltr_shared.cli import build_cli

cli = build_cli(
    service="auth",
    settings_factory=AuthSettings,
    app_factory="fltr_auth.app:create_app",
    migration_spec=AUTH_MIGRATIONS,
)


def main() -> None:
    cli()
