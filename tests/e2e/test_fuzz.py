"""Schemathesis against both services' OpenAPI documents, as real processes on PostgreSQL:
anonymously, as a signed-in user and as an API key. No operation may answer 5xx, nor with a
status, content type or body its document does not declare.

Bounded here (FLTR_FUZZ_EXAMPLES per operation, default 4, fixed seed) so `make test` stays
quick; `make fuzz` runs the same with more examples and fresh seeds. The billing operations
are left out while Stripe is not configured: they answer 503 billing_disabled by design.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from tests.auth.helpers import PASSWORD, unique_email
from tests.support import (
    TEST_SERVICE_TOKEN,
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)

pytestmark = pytest.mark.e2e

EXAMPLES = os.environ.get("FLTR_FUZZ_EXAMPLES", "4")
SEED = os.environ.get("FLTR_FUZZ_SEED", "20261124")
BILLING = "^/(api|internal)/v1/(billing|datasets/[^/]+/checkout)"


@dataclass
class Services:
    auth_url: str
    content_url: str
    tmp: Path


@pytest.fixture(scope="module")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("fuzzdb")
    async with (
        service_database("fltr_auth_fuzz", AUTH_MIGRATIONS, tmp) as auth_db,
        service_database("fltr_fuzz", CONTENT_MIGRATIONS, tmp) as content_db,
    ):
        yield auth_db, content_db


@pytest.fixture(scope="module")
def services(
    databases: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    tmp = tmp_path_factory.mktemp("fuzz")
    auth_db, content_db = databases
    auth_port, content_port = free_port(), free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    content_url = f"http://127.0.0.1:{content_port}"
    common = {
        "VAR_DIR": str(tmp / "var"),
        "INTERNAL_SERVICE_TOKEN": TEST_SERVICE_TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    auth = ServiceProcess(
        [console_script("fltr-auth"), "serve", "--port", str(auth_port)],
        clean_env(**common, DATABASE_URL=auth_db, SIGN_IN_RATE_LIMIT_PER_MINUTE="100000"),
        tmp / "auth.log",
    )
    content = ServiceProcess(
        [console_script("fltr-content"), "serve", "--port", str(content_port)],
        clean_env(
            **common,
            DATABASE_URL=content_db,
            AUTH_SERVICE_URL=auth_url,
            USER_RATE_LIMIT_PER_MINUTE="100000",
            EMBEDDING_PROVIDER="hashing",  # the fuzzer uploads; keep it fast
        ),
        tmp / "content.log",
    )
    with auth, content:
        wait_for_http(f"{auth_url}/health", proc=auth)
        wait_for_http(f"{content_url}/health", proc=content, timeout=60)
        yield Services(auth_url, content_url, tmp)


@pytest.fixture(scope="module")
def credentials(services: Services) -> dict[str, str | None]:
    with httpx.Client(timeout=30) as client:
        signed = client.post(
            f"{services.auth_url}/api/auth/sign-up/email",
            json={"email": unique_email("fuzz"), "password": PASSWORD, "name": "Fuzz"},
        )
        assert signed.status_code == 200, signed.text
        client.cookies.clear()
        token = signed.headers["set-auth-token"]
        session = {"Authorization": f"Bearer {token}"}
        made = client.post(
            f"{services.content_url}/api/v1/datasets", json={"name": "Fuzzed"}, headers=session
        )
        assert made.status_code == 201, made.text
        key = client.post(
            f"{services.auth_url}/api/v1/api-keys",
            json={"name": "fuzz", "scopes": ["read", "write"], "rate_limit_per_minute": 10000},
            headers=session,
        )
        assert key.status_code == 201, key.text
    return {"anonymous": None, "user": token, "api_key": key.json()["key"]}


def _fuzz(url: str, credential: str | None, report: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        console_script("schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        # no 5xx, and no answer that breaks the service's own document: its status, its
        # content type and its body must be among those the operation declares
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance",
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--exclude-path-regex",
        BILLING,
        "--request-timeout",
        "30",
        "--workers",
        "1",
    ]
    if credential is not None:
        argv += ["--header", f"Authorization: Bearer {credential}"]
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"}
    )
    report.write_text(result.stdout + result.stderr)
    return result


@pytest.mark.parametrize("service", ["auth", "content"])
@pytest.mark.parametrize("who", ["anonymous", "user", "api_key"])
def test_no_operation_answers_5xx(
    services: Services, credentials: dict[str, str | None], service: str, who: str
) -> None:
    url = services.auth_url if service == "auth" else services.content_url
    report = services.tmp / f"schemathesis-{service}-{who}.txt"
    result = _fuzz(url, credentials[who], report)
    assert result.returncode == 0, result.stdout[-6000:]
