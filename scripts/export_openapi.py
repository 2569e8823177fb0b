"""Write both services' OpenAPI documents (as /openapi.json serves them) to a directory.

``make ts-client`` runs it, then openapi-typescript on the files (clients/typescript). The
apps are built in-process and never started: the documents depend on code only, not on
settings, databases or secrets (tests/e2e/test_typescript_client.py checks the served ones).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.settings import ContentSettings


def render(doc: dict[str, Any]) -> str:
    """The one text form of a document (checked in, and compared by the tests)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def documents(var_dir: Path) -> dict[str, dict[str, Any]]:
    # throwaway values: nothing connects, nothing is signed; they only let the apps be built
    token = SecretStr("export-openapi-" + "x" * 40)
    auth = create_auth_app(
        AuthSettings(
            _env_file=None,
            var_dir=var_dir,
            internal_service_token=token,
            better_auth_secret=SecretStr("export-openapi-" + "y" * 40),
            log_level="WARNING",
        )
    )
    content = create_content_app(
        ContentSettings(
            _env_file=None, var_dir=var_dir, internal_service_token=token, log_level="WARNING"
        )
    )
    return {"auth": auth.openapi(), "content": content.openapi()}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python scripts/export_openapi.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as var_dir:
        for name, doc in documents(Path(var_dir)).items():
            (out / f"{name}.json").write_text(render(doc), encoding="utf-8")
            print(
                f"{out / name}.json: {sum(len(item) for item in doc['paths'].values())} operations"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
