"""Alembic environment of the content service (version table ``alembic_version_content``)."""

from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.models import metadata
from fltr_content.settings import ContentSettings
from fltr_shared.migrations import run_env

run_env(
    metadata,
    version_table=CONTENT_MIGRATIONS.version_table,
    default_url=lambda: ContentSettings().database_url,
)
