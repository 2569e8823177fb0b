"""Settings: plain or service-prefixed variables, URL normalization, production refusals."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from fltr_auth.settings import AuthSettings
from fltr_content.settings import ContentSettings

pytestmark = pytest.mark.core


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "PORT", "VAR_DIR", "FLTR_ENV", "INTERNAL_SERVICE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"FLTR_AUTH_{name}", raising=False)
        monkeypatch.delenv(f"FLTR_CONTENT_{name}", raising=False)


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    auth = AuthSettings(_env_file=None, var_dir=tmp_path)
    content = ContentSettings(_env_file=None, var_dir=tmp_path)
    assert auth.port == 8001
    assert content.port == 8000
    assert auth.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/fltr_auth.db"
    assert content.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/fltr.db"
    assert content.milvus_uri == str(tmp_path.resolve() / "milvus.db")
    assert content.auth_service_url == "http://127.0.0.1:8001"


def test_prefixed_variable_wins_over_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/shared")
    monkeypatch.setenv("FLTR_AUTH_DATABASE_URL", "postgresql://u@db/fltr_auth")
    monkeypatch.setenv("FLTR_CONTENT_DATABASE_URL", "postgres://u@db/fltr")
    assert AuthSettings(_env_file=None).database_url == "postgresql+asyncpg://u@db/fltr_auth"
    assert ContentSettings(_env_file=None).database_url == "postgresql+asyncpg://u@db/fltr"
    monkeypatch.delenv("FLTR_AUTH_DATABASE_URL")
    assert AuthSettings(_env_file=None).database_url == "postgresql+asyncpg://u@db/shared"


def test_one_dotenv_serves_both_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "FLTR_AUTH_PORT=9101\nFLTR_CONTENT_PORT=9100\nAUTH_SERVICE_URL=http://auth:9101\n"
    )
    assert AuthSettings(_env_file=env_file).port == 9101
    content = ContentSettings(_env_file=env_file)
    assert content.port == 9100
    assert content.auth_service_url == "http://auth:9101"


def test_content_settings_have_no_auth_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_DATABASE_URL", "postgresql://u@db/fltr_auth")
    settings = ContentSettings(_env_file=None)
    assert not hasattr(settings, "auth_database_url")
    assert "fltr_auth" not in settings.model_dump_json()


@pytest.mark.parametrize("url", ["mysql://u@db/x", "http://x", "fltr"])
def test_unsupported_database_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL must start with"):
        AuthSettings(_env_file=None, database_url=url)


def test_production_refuses_sqlite_and_missing_secrets() -> None:
    with pytest.raises(ValidationError) as info:
        AuthSettings(_env_file=None, fltr_env="production")
    message = str(info.value)
    assert "DATABASE_URL must point at PostgreSQL" in message
    assert "INTERNAL_SERVICE_TOKEN is required" in message
    with pytest.raises(ValidationError, match="MILVUS_URI must point at a Milvus server"):
        ContentSettings(
            _env_file=None,
            fltr_env="production",
            database_url="postgresql://u@db/fltr",
            internal_service_token=SecretStr("t" * 40),
        )
    ok = ContentSettings(
        _env_file=None,
        fltr_env="production",
        database_url="postgresql://u@db/fltr",
        internal_service_token=SecretStr("t" * 40),
        milvus_uri="http://milvus:19530",
        redis_url="redis://redis:6379/0",
    )
    assert ok.is_production
    with pytest.raises(ValidationError, match="REDIS_URL is required in production"):
        ContentSettings(
            _env_file=None,
            fltr_env="production",
            database_url="postgresql://u@db/fltr",
            internal_service_token=SecretStr("t" * 40),
            milvus_uri="http://milvus:19530",
        )


def test_generated_token_is_shared_through_var_dir(tmp_path: Path) -> None:
    def resolve(_: int) -> str:
        settings = AuthSettings(_env_file=None, var_dir=tmp_path)
        return settings.resolve_internal_token().get_secret_value()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(resolve, range(16)))
    assert len(tokens) == 1
    token = tokens.pop()
    assert len(token) >= 48
    assert ContentSettings(_env_file=None, var_dir=tmp_path).resolve_internal_token() == SecretStr(
        token
    )
    assert (tmp_path / "internal-service-token").stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["internal-service-token"]
