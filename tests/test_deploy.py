"""deploy/: the compose stack is consistent with the code (no Docker engine runs here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support import REPO_ROOT

CHECK = REPO_ROOT / "deploy" / "check_compose.py"


def run_check(compose: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), str(compose)], capture_output=True, text=True, timeout=60
    )


def test_compose_stack_is_consistent() -> None:
    result = run_check(REPO_ROOT / "deploy" / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_catches_content_given_the_auth_database(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    shutil.copytree(REPO_ROOT / "deploy", deploy)
    compose = yaml.safe_load((deploy / "compose.yaml").read_text())
    compose["services"]["content"].setdefault("environment", {})
    compose["services"]["content"]["environment"]["AUTH_DATABASE_URL"] = (
        "postgresql+asyncpg://fltr:fltr@postgres:5432/fltr_auth"
    )
    (deploy / "compose.yaml").write_text(yaml.safe_dump(compose))
    result = run_check(deploy / "compose.yaml")
    assert result.returncode == 1
    assert "content': AUTH_DATABASE_URL points at the auth database" in result.stderr


def test_services_run_as_non_root_from_multi_stage_images() -> None:
    for name in ("auth", "content"):
        dockerfile = (REPO_ROOT / "deploy" / f"{name}.Dockerfile").read_text()
        assert dockerfile.count("\nFROM ") >= 2, f"{name}: not multi-stage"
        assert "\nUSER fltr" in dockerfile, f"{name}: runs as root"
        assert f"fltr-{name}" in dockerfile
