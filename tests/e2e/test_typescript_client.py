"""The checked-in TypeScript types (clients/typescript) match what the running services
serve: both services start as real processes, their /openapi.json goes through the pinned
openapi-typescript (clients/typescript/generate.mjs), and the output must equal
src/auth.d.ts and src/content.d.ts byte for byte; then `tsc --noEmit` compiles the typed
client against them. An API change that is not regenerated, or that breaks the client code,
fails here. Fix: `make ts-client`, and fix the client if tsc fails.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from scripts.export_openapi import render
from tests.support import ServiceProcess

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"
REGENERATE = "run `make ts-client` (exports the documents, then `npm run generate`) and commit"


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=CLIENT, capture_output=True, text=True, timeout=300, check=False, **kwargs
    )  # type: ignore[call-overload,no-any-return]


@pytest.fixture(scope="module")
def installed() -> None:
    done = _run(["bash", "install.sh"])
    assert done.returncode == 0, done.stderr


def test_the_typescript_types_match_the_running_services(
    installed: None, stack: tuple[ServiceProcess, str, str], tmp_path: Path
) -> None:
    _, auth_url, content_url = stack
    served = tmp_path / "openapi"
    served.mkdir()
    for name, url in (("auth", auth_url), ("content", content_url)):
        doc = httpx.get(f"{url}/openapi.json", timeout=30).json()
        (served / f"{name}.json").write_text(render(doc), encoding="utf-8")
        assert httpx.get(f"{url}/docs", timeout=30).status_code == 200
    out = tmp_path / "src"
    out.mkdir()
    generated = _run(["node", "generate.mjs", str(served), str(out)])
    assert generated.returncode == 0, generated.stderr

    stale = []
    for name in ("auth", "content"):
        checked_in = json.loads((CLIENT / "openapi" / f"{name}.json").read_text("utf-8"))
        if checked_in != json.loads((served / f"{name}.json").read_text("utf-8")):
            stale.append(f"clients/typescript/openapi/{name}.json")
        if (out / f"{name}.d.ts").read_text("utf-8") != (CLIENT / "src" / f"{name}.d.ts").read_text(
            "utf-8"
        ):
            stale.append(f"clients/typescript/src/{name}.d.ts")
    assert not stale, f"out of date with the running services: {', '.join(stale)}; {REGENERATE}"

    compiled = _run(["npx", "--no-install", "tsc", "--noEmit", "-p", "tsconfig.json"])
    assert compiled.returncode == 0, (
        "the typed client (clients/typescript/src/index.ts) no longer compiles against the "
        f"services' types:\n{compiled.stdout}{compiled.stderr}"
    )


def test_tsc_fails_on_a_call_the_types_do_not_allow(installed: None, tmp_path: Path) -> None:
    """The compile step can fail: a body the content API does not take is a type error."""
    bad = CLIENT / "src" / "_contract_probe.ts"
    bad.write_text(
        'import createClient from "openapi-fetch";\n'
        'import type { paths } from "./content";\n'
        "const client = createClient<paths>({});\n"
        'void client.POST("/api/v1/datasets", { body: { nam: "typo" } });\n',
        encoding="utf-8",
    )
    try:
        compiled = _run(["npx", "--no-install", "tsc", "--noEmit", "-p", "tsconfig.json"])
    finally:
        bad.unlink()
    assert compiled.returncode != 0
    assert "_contract_probe.ts" in compiled.stdout
