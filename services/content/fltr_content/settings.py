"""Settings of the content service (plain names or ``FLTR_CONTENT_``-prefixed).

The content service never gets a URL to the auth database: it asks the auth service over HTTP.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr

from fltr_shared.settings import ServiceSettings


class ContentSettings(ServiceSettings):
    service_name: ClassVar[str] = "content"
    service_env_prefix: ClassVar[str] = "FLTR_CONTENT_"
    default_database_file: ClassVar[str] = "fltr.db"

    port: int = Field(8000, ge=1, le=65535, description="Port to listen on.")
    auth_service_url: str = Field(
        "http://127.0.0.1:8001", description="Base URL of the auth service (internal HTTP)."
    )
    internal_http_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="Timeout of one call to the auth service."
    )
    internal_http_retries: int = Field(
        2, ge=0, le=10, description="Retries of a failed call to the auth service, when safe."
    )
    session_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long a validated session is trusted without asking the auth service "
        "again (a revoked session works here for at most this long); 0 disables the cache.",
    )
    jwt_cache_seconds: float = Field(
        30.0,
        ge=0,
        le=900,
        description="How long a verified JWT is remembered (never past its exp); 0 disables.",
    )
    jwks_cache_seconds: int = Field(
        300, ge=0, le=86400, description="How long the auth service's JWKS is cached."
    )
    auth_jwt_issuer: str = Field(
        "",
        description="Issuer and audience of the auth service's JWTs (its public origin, "
        "BETTER_AUTH_URL's); empty means AUTH_SERVICE_URL's origin.",
    )
    milvus_uri: str = Field(
        "",
        description="A Milvus Lite file (ends in .db) or a server URL; empty means "
        "VAR_DIR/milvus.db.",
    )
    milvus_token: SecretStr | None = Field(None, description="Milvus server token (user:pass).")
    milvus_shards: int = Field(
        1, ge=1, le=16, description="Shards of each new chunk collection (Milvus server only)."
    )
    api_key_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long a verified API key is trusted without asking the auth service "
        "again (a revoked key works here for at most this long); 0 disables the cache.",
    )
    user_rate_limit_per_minute: int = Field(
        120, ge=1, le=100000, description="Requests per minute per user (sessions and JWTs)."
    )
    redis_url: str | None = Field(
        None,
        description="Redis for rate limits shared by every content process; memory when unset. "
        "When it cannot be reached, requests are let through (fail open) and it is logged.",
    )

    def fill_defaults(self) -> None:
        super().fill_defaults()
        self.auth_service_url = self.auth_service_url.rstrip("/")
        if not self.auth_jwt_issuer:
            parts = urlsplit(self.auth_service_url)
            self.auth_jwt_issuer = f"{parts.scheme}://{parts.netloc}"
        if not self.milvus_uri:
            self.milvus_uri = str((self.var_dir / "milvus.db").resolve())

    @property
    def milvus_is_local(self) -> bool:
        return self.milvus_uri.endswith(".db")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.milvus_is_local:
            problems.append("MILVUS_URI must point at a Milvus server in production")
        return problems
