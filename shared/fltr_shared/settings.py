"""The settings base both services build on (pydantic-settings).

Each field is read from the plain variable (``DATABASE_URL``) or from the service-prefixed one
(``FLTR_AUTH_DATABASE_URL``), the prefixed form winning, so both services can share one
``.env``. Settings are built when an app or a command is built, never at import time.
"""

from __future__ import annotations

import json
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

INTERNAL_TOKEN_FILE = "internal-service-token"  # noqa: S105 (a file name)


def shared_secret_file(path: Path) -> str:
    """Read a generated secret, creating it first if needed (mode 600).

    Both services may start at once and race here: the file is written under a temporary
    name and hard-linked into place, which fails if the other process won, so both end up
    reading the same complete value.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def comma_separated(value: object) -> object:
    """Let list settings be written as ``a,b`` in the environment (JSON lists also work)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            return json.loads(stripped)
        return [item.strip() for item in stripped.split(",") if item.strip()]
    return value


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def normalize_database_url(url: str) -> str:
    """Rewrite plain driver names to the async drivers FLTR runs on; refuse anything else."""
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///")):
        return url
    raise ValueError(
        "DATABASE_URL must start with postgresql+asyncpg:// (or postgresql://) "
        "or sqlite+aiosqlite:/// (or sqlite:///)"
    )


class ServiceSettings(BaseSettings):
    """Settings every FLTR service has. Subclasses set the class variables below."""

    service_name: ClassVar[str] = "service"
    service_env_prefix: ClassVar[str] = ""
    default_database_file: ClassVar[str] = "service.db"

    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", validate_default=True
    )

    fltr_env: Environment = Field(
        Environment.development,
        description="development, test or production; production refuses unsafe defaults.",
    )
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8000, ge=1, le=65535, description="Port to listen on.")
    var_dir: Path = Field(
        Path("var"), description="Folder for the embedded default's files (SQLite, Milvus Lite)."
    )
    database_url: str = Field(
        "",
        description="This service's own database; empty means a SQLite file under VAR_DIR.",
    )
    db_pool_size: int = Field(10, ge=1, le=200, description="PostgreSQL pool size per process.")
    db_max_overflow: int = Field(10, ge=0, le=200, description="Extra connections under load.")
    db_connect_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="Give up connecting to the database after this long."
    )
    db_pool_pre_ping: bool = Field(
        False,
        description="Ping a pooled PostgreSQL connection (a round trip) before each use. Off, "
        "connections the server closed (a restart) are still replaced, at no cost.",
    )
    internal_service_token: SecretStr | None = Field(
        None,
        description="Shared secret for service-to-service calls. Required in production; "
        "generated into VAR_DIR otherwise.",
    )
    health_timeout_seconds: float = Field(
        1.5, gt=0, le=30, description="Each dependency check in /health gives up after this."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        prefix = cls.service_env_prefix
        env_file = (
            dotenv_settings.env_file if isinstance(dotenv_settings, DotEnvSettingsSource) else None
        )
        return (
            init_settings,
            EnvSettingsSource(settings_cls, env_prefix=prefix),
            env_settings,
            DotEnvSettingsSource(settings_cls, env_file=env_file, env_prefix=prefix),
            dotenv_settings,
            file_secret_settings,
        )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _resolve(self) -> ServiceSettings:
        self.fill_defaults()
        if self.fltr_env is Environment.production:
            self._check_production()
        return self

    def fill_defaults(self) -> None:
        """Derive settings left empty (paths under VAR_DIR). Subclasses extend this."""
        if not self.database_url:
            path = (self.var_dir / self.default_database_file).resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        self.database_url = normalize_database_url(self.database_url)

    def production_problems(self) -> list[str]:
        """What keeps these settings from being safe in production (empty when none)."""
        problems = []
        if self.is_sqlite:
            problems.append("DATABASE_URL must point at PostgreSQL in production (not SQLite)")
        if self.internal_service_token is None:
            problems.append("INTERNAL_SERVICE_TOKEN is required in production")
        elif len(self.internal_service_token.get_secret_value()) < 32:
            problems.append("INTERNAL_SERVICE_TOKEN must be at least 32 characters")
        return problems

    def _check_production(self) -> None:
        problems = self.production_problems()
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.fltr_env is Environment.production

    def resolve_internal_token(self) -> SecretStr:
        """The service credential: from settings, or shared through a file in VAR_DIR.

        In the embedded default both services run on one machine and read the same file, so
        they agree on a token nobody had to configure. Created atomically: when both start at
        once, one writes it and the other reads what was written.
        """
        if self.internal_service_token is not None:
            return self.internal_service_token
        if self.is_production:
            raise ValueError("INTERNAL_SERVICE_TOKEN is required in production")
        token = shared_secret_file(self.var_dir / INTERNAL_TOKEN_FILE)
        self.internal_service_token = SecretStr(token)
        return self.internal_service_token
