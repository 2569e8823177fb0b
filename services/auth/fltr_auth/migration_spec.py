"""Where the auth service's migrations live and which version table they use."""

from fltr_shared.migrations import MigrationSpec

AUTH_MIGRATIONS = MigrationSpec(
    script_location="fltr_auth:migrations", version_table="alembic_version_auth"
)
