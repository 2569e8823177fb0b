"""``fltr-content``: serve the content service and run its migrations."""

from __future__ import annotations

from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.settings import ContentSettings
from fltr_shared.cli import build_cli

cli = build_cli(
    service="content",
    settings_factory=ContentSettings,
    app_factory="fltr_content.app:create_app",
    migration_spec=CONTENT_MIGRATIONS,
)


def main() -> None:
    cli()
