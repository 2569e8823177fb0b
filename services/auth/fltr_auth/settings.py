"""Settings of the auth service (plain names or ``FLTR_AUTH_``-prefixed)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from fltr_shared.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    service_name: ClassVar[str] = "auth"
    service_env_prefix: ClassVar[str] = "FLTR_AUTH_"
    default_database_file: ClassVar[str] = "fltr_auth.db"

    port: int = Field(8001, ge=1, le=65535, description="Port to listen on.")
