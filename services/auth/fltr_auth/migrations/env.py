"""Alembic environment of the auth service (version table ``alembic_version_auth``)."""

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.models import metadata
from fltr_auth.settings import AuthSettings
from fltr_shared.migrations import run_env

run_env(
    metadata,
    version_table=AUTH_MIGRATIONS.version_table,
    default_url=lambda: AuthSettings().database_url,
)
