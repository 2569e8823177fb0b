"""Settings of the content service (plain names or ``FLTR_CONTENT_``-prefixed).

The content service never gets a URL to the auth database: it asks the auth service over HTTP.
"""

from __future__ import annotations

from pathlib import Path
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
    team_membership_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long a user's team roles (from the auth service) are trusted for the "
        "catalog's access checks; 0 disables the cache.",
    )
    owner_profile_cache_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="How long owners' public profiles (name, username, image) are cached.",
    )
    dataset_delete_grace_days: int = Field(
        7,
        ge=0,
        le=365,
        description="Days a deleted dataset can be restored before the purge removes its rows "
        "and Milvus collections.",
    )
    publish_inline_max_chunks: int = Field(
        5000,
        ge=0,
        le=10_000_000,
        description="Publishing copies a working copy of at most this many chunks within the "
        "request; larger ones become a background job (202).",
    )
    redis_url: str | None = Field(
        None,
        description="Redis for rate limits shared by every content process; memory when unset. "
        "When it cannot be reached, requests are let through (fail open) and it is logged.",
    )

    storage_dir: Path | None = Field(
        None, description="Folder for uploaded originals; empty means VAR_DIR/files."
    )
    s3_bucket: str | None = Field(
        None, description="Keep originals in this S3-compatible bucket instead of a folder."
    )
    s3_endpoint_url: str | None = Field(
        None, description="S3 endpoint (MinIO, R2, ...); empty means AWS."
    )
    s3_region: str | None = Field(None, description="S3 region.")
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key.")
    s3_prefix: str = Field("", description="Key prefix inside the bucket.")
    max_upload_file_bytes: int = Field(
        50 * 1024 * 1024,
        ge=1,
        description="Largest file one upload accepts (413 as soon as a file passes it).",
    )
    max_upload_files: int = Field(
        500, ge=1, le=10000, description="Most files in one upload request (413 beyond)."
    )
    ingest_workers: int = Field(
        2, ge=1, le=64, description="In-process job workers (embedded default, no Celery)."
    )
    job_lease_seconds: int = Field(
        120,
        ge=10,
        le=3600,
        description="A running job renews its lease while it works; a job whose lease ran "
        "out (its worker died) is picked up again.",
    )
    job_poll_seconds: float = Field(
        2.0, gt=0, le=3600, description="How often in-process workers look for due jobs."
    )
    ingest_credits_per_1k_tokens: int = Field(
        1, ge=0, le=1000, description="Price of processing: credits per 1,000 tokens embedded."
    )
    ingest_min_credits: int = Field(
        1, ge=0, le=1000, description="Least a processed document costs."
    )
    ingest_hold_bytes_per_credit: int = Field(
        4000,
        ge=1,
        description="Upload holds are estimated from size: one credit per this many bytes "
        "(a document is never charged more than its hold).",
    )
    embedding_provider: str = Field(
        "minilm",
        description="minilm (built in, CPU), openai (an OpenAI-compatible endpoint) or "
        "hashing (lexical, for tests and benches).",
    )
    embedding_base_url: str | None = Field(
        None, description="OpenAI-compatible embeddings base URL (provider openai)."
    )
    embedding_api_key: SecretStr | None = Field(None, description="Its API key.")
    embedding_model: str | None = Field(
        None, description="Model name sent to the OpenAI-compatible endpoint."
    )
    embedding_dimension: int | None = Field(
        None, ge=1, le=8192, description="Dimension of that model's vectors."
    )
    embedding_threads: int = Field(2, ge=1, le=64, description="CPU threads of the built-in model.")
    source_sync_interval_seconds: float = Field(
        300,
        gt=0,
        le=86400,
        description="How often due url sources (sync_frequency daily/weekly/monthly) are "
        "looked for and re-fetched.",
    )
    allow_private_urls: bool = Field(
        False,
        description="Let documents:from-url and URL sources fetch private and loopback "
        "addresses (off: a server-side fetch of a user's URL must not reach the internal "
        "network).",
    )
    celery_broker_url: str | None = Field(
        None,
        description="Run jobs on Celery workers (`fltr-content worker`) through this broker "
        "(Redis); in-process workers when unset.",
    )

    search_price_credits: int = Field(
        1,
        ge=0,
        le=1000,
        description="Credits one search costs per dataset searched (REST and the MCP search "
        "tool), on any dataset including your own; the plan's allowance is spent first.",
    )
    search_deferred_min_balance: int = Field(
        100,
        ge=0,
        le=1_000_000_000,
        description="A search is answered before its charge reaches the ledger (sent a moment "
        "later, batched) only while the payer's last known balance, less the charges still on "
        "their way, stays at least this many credits after it; otherwise, and for API keys "
        "with a spend cap, the charge is taken first. 0: always charge first.",
    )
    search_charge_flush_seconds: float = Field(
        0.2,
        gt=0,
        le=10,
        description="How often charges of searches answered first are sent to the ledger "
        "(one batch per interval, at most 200 charges a call).",
    )
    search_charge_balance_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="How long a balance the ledger reported is trusted for answering before "
        "charging; after that the next search is charged first and learns it again.",
    )
    search_access_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long a caller's access to a dataset version (dataset, version, "
        "entitlement) is remembered by search and MCP; a change applies within this time. "
        "0 disables.",
    )
    usage_flush_seconds: float = Field(
        2.0,
        gt=0,
        le=300,
        description="How often buffered api_usage rows are written (in one batch, after the "
        "responses that made them were sent).",
    )
    usage_buffer_max: int = Field(
        10_000,
        ge=10,
        le=1_000_000,
        description="api_usage rows held in memory at most; when full the oldest are dropped "
        "(and the drop is logged) rather than slowing requests.",
    )

    def fill_defaults(self) -> None:
        super().fill_defaults()
        self.auth_service_url = self.auth_service_url.rstrip("/")
        if not self.auth_jwt_issuer:
            parts = urlsplit(self.auth_service_url)
            self.auth_jwt_issuer = f"{parts.scheme}://{parts.netloc}"
        if self.storage_dir is None:
            self.storage_dir = self.var_dir / "files"
        if not self.milvus_uri:
            self.milvus_uri = str((self.var_dir / "milvus.db").resolve())

    @property
    def milvus_is_local(self) -> bool:
        return self.milvus_uri.endswith(".db")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.milvus_is_local:
            problems.append("MILVUS_URI must point at a Milvus server in production")
        if not self.redis_url:
            # per-process memory limits would multiply by the number of processes
            problems.append("REDIS_URL is required in production (rate limits across processes)")
        return problems
