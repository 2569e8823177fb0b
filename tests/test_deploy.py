"""deploy/: the compose stack is consistent with the code (no Docker engine runs here)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from dotenv import dotenv_values

from tests.support import BIN_DIR, REPO_ROOT, clean_env

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


# ---------------------------------------------------------------- compose: the whole stack


def broken_stack(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    """check_compose's complaints about a copy of deploy/ with one change to compose.yaml."""
    deploy = tmp_path / "deploy"
    shutil.copytree(REPO_ROOT / "deploy", deploy)
    compose = yaml.safe_load((deploy / "compose.yaml").read_text())
    change(compose["services"])
    (deploy / "compose.yaml").write_text(yaml.safe_dump(compose))
    result = run_check(deploy / "compose.yaml")
    assert result.returncode == 1, result.stdout
    return result.stderr


def test_check_catches_a_missing_worker(tmp_path: Path) -> None:
    err = broken_stack(tmp_path, lambda services: services.pop("worker"))
    assert "no service runs `fltr-content worker`" in err


def test_check_catches_beat_behind_a_profile(tmp_path: Path) -> None:
    err = broken_stack(tmp_path, lambda services: services["beat"].update(profiles=["worker"]))
    assert "service 'beat': `fltr-content beat` is behind a profile" in err


def test_check_catches_a_server_not_waiting_for_its_migration(tmp_path: Path) -> None:
    def change(services: dict[str, Any]) -> None:
        services["auth"]["depends_on"]["migrate-auth"]["condition"] = "service_started"

    err = broken_stack(tmp_path, change)
    assert "service 'auth': must depend on ['migrate-auth']" in err


def test_check_catches_content_processes_that_disagree(tmp_path: Path) -> None:
    def change(services: dict[str, Any]) -> None:
        services["worker"]["environment"] = dict(services["worker"]["environment"])
        services["worker"]["environment"]["FLTR_CONTENT_MILVUS_URI"] = "http://other:19530"

    err = broken_stack(tmp_path, change)
    assert "content processes disagree on MILVUS_URI" in err


def test_check_catches_a_bucket_nobody_creates(tmp_path: Path) -> None:
    def change(services: dict[str, Any]) -> None:
        services["content"]["depends_on"] = dict(services["content"]["depends_on"])
        services["content"]["depends_on"].pop("minio-init")

    err = broken_stack(tmp_path, change)
    assert "service 'content': must depend on ['minio-init']" in err


def test_compose_runs_two_content_processes_and_no_profiles() -> None:
    services = yaml.safe_load((REPO_ROOT / "deploy" / "compose.yaml").read_text())["services"]
    assert services["content"]["command"][-2:] == ["--workers", "2"]
    assert not [name for name, svc in services.items() if svc.get("profiles")]
    assert services["minio-init"]["image"].startswith("minio/mc:")


def test_docker_compose_config_renders_when_the_client_is_here() -> None:
    """`docker compose config` when a compose client is installed (none is by default)."""
    argv = None
    if shutil.which("docker-compose"):
        argv = ["docker-compose"]
    elif shutil.which("docker") and (
        subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        argv = ["docker", "compose"]
    if argv is None:
        pytest.skip("no docker compose client on this machine")
    deploy = REPO_ROOT / "deploy"
    result = subprocess.run(
        [
            *argv,
            *("-f", str(deploy / "compose.yaml")),
            *("--env-file", str(deploy / ".env.example")),
            *("config", "-q"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- settings files

SETTINGS_PROBE = """
import json, sys
from fltr_auth.settings import AuthSettings
from fltr_content.settings import ContentSettings
auth = AuthSettings(_env_file=None)
content = ContentSettings(_env_file=None)
print(json.dumps({"auth": [auth.fltr_env, auth.database_url],
                  "content": [content.fltr_env, content.database_url, content.milvus_uri,
                              content.s3_bucket, content.celery_broker_url, content.redis_url]}))
"""

AUTH_ONLY_PROBE = (
    "from fltr_auth.settings import AuthSettings; print(AuthSettings(_env_file=None).fltr_env)"
)
CONTENT_ONLY_PROBE = (
    "from fltr_content.settings import ContentSettings; "
    "print(ContentSettings(_env_file=None).fltr_env)"
)


def run_with_env(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in clean_env().items() if not _is_setting(k)}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT / "deploy",  # no .env here
    )


def _is_setting(name: str) -> bool:
    return name.isupper() and name not in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}


def test_env_example_is_a_valid_production_configuration() -> None:
    """deploy/.env.example plus what compose sets: both services accept it in production."""
    env = {
        k: v
        for k, v in dotenv_values(REPO_ROOT / "deploy" / ".env.example").items()
        if v is not None
    }
    compose = yaml.safe_load((REPO_ROOT / "deploy" / "compose.yaml").read_text())
    for service in ("auth", "content"):
        for key, value in compose["services"][service]["environment"].items():
            if ":?" not in str(value):  # required secrets come from the .env file itself
                env[key] = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
    result = run_with_env(SETTINGS_PROBE, env)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["auth"][0] == report["content"][0] == "production"
    assert report["content"][2:] == [
        "http://milvus:19530",
        "fltr-originals",
        "redis://redis:6379/1",
        "redis://redis:6379/0",
    ]


def test_production_names_the_missing_setting() -> None:
    result = run_with_env(AUTH_ONLY_PROBE, {"FLTR_ENV": "production"})
    assert result.returncode != 0
    for missing in ("DATABASE_URL", "INTERNAL_SERVICE_TOKEN", "BETTER_AUTH_SECRET"):
        assert missing in result.stderr


# ---------------------------------------------------------------- Kubernetes

K8S = REPO_ROOT / "deploy" / "k8s"


def k8s_manifests() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for p in k8s_manifests() for doc in yaml.safe_load_all(p.read_text()) if doc]


def kubernetes_validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    """What `make lint` runs."""
    return subprocess.run(
        [str(BIN_DIR / "kubernetes-validate"), "--strict", "--quiet", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_k8s_manifests_pass_the_schema_check() -> None:
    result = kubernetes_validate(*k8s_manifests())
    assert result.returncode == 0, result.stdout + result.stderr


def test_k8s_schema_check_rejects_an_unknown_field(tmp_path: Path) -> None:
    broken = tmp_path / "auth.yaml"
    broken.write_text((K8S / "auth.yaml").read_text().replace("readinessProbe:", "readynessProbe:"))
    result = kubernetes_validate(broken)
    assert result.returncode != 0
    assert "readynessProbe" in result.stdout + result.stderr


def _deployments() -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == "Deployment"}


def test_k8s_deployments_are_probed_limited_and_non_root() -> None:
    deployments = _deployments()
    assert set(deployments) == {"fltr-auth", "fltr-content", "fltr-worker", "fltr-beat"}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert container["livenessProbe"], name
            assert container["readinessProbe"], name
            assert container["resources"]["requests"], name
            assert container["resources"]["limits"], name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
    for name, port in (("fltr-auth", "http"), ("fltr-content", "http")):
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": port}
        assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": port}
    assert deployments["fltr-beat"]["spec"]["replicas"] == 1
    assert deployments["fltr-beat"]["spec"]["strategy"]["type"] == "Recreate"


def test_k8s_has_hpas_services_and_migration_jobs() -> None:
    objects = k8s_objects()
    hpas = {
        o["spec"]["scaleTargetRef"]["name"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    assert hpas == {"fltr-auth", "fltr-content"}
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service"}
    assert services == {"fltr-auth", "fltr-content"}
    jobs = {
        o["metadata"]["name"]: o["spec"]["template"]["spec"]["containers"][0]["command"]
        for o in objects
        if o["kind"] == "Job"
    }
    assert jobs == {
        "fltr-migrate-auth": ["fltr-auth", "db", "upgrade"],
        "fltr-migrate-content": ["fltr-content", "db", "upgrade"],
    }


def _env_sources(pod: dict[str, Any]) -> set[str]:
    return {
        ref.get("secretRef", ref.get("configMapRef", {}))["name"]
        for container in pod["containers"]
        for ref in container.get("envFrom", [])
    }


def test_k8s_content_pods_never_see_the_auth_secret() -> None:
    pods = {n: d["spec"]["template"]["spec"] for n, d in _deployments().items()}
    pods |= {
        o["metadata"]["name"]: o["spec"]["template"]["spec"]
        for o in k8s_objects()
        if o["kind"] == "Job"
    }
    for name, pod in pods.items():
        image = pod["containers"][0]["image"]
        sources = _env_sources(pod)
        if "fltr-content" in image:
            assert "fltr-auth" not in sources, name
            assert "fltr-content" in sources, name
        else:
            assert "fltr-content" not in sources, name
            assert "fltr-auth" in sources, name


def test_k8s_config_and_secret_template_are_accepted_in_production() -> None:
    """The ConfigMap plus each service's Secret template make valid production settings."""
    objects = k8s_objects()
    config = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    secrets = {o["metadata"]["name"]: o["stringData"] for o in objects if o["kind"] == "Secret"}
    for name, probe in (("fltr-auth", AUTH_ONLY_PROBE), ("fltr-content", CONTENT_ONLY_PROBE)):
        result = run_with_env(probe, {**config, **secrets[name]})
        assert result.returncode == 0, (name, result.stderr[-2000:])
        assert result.stdout.strip() == "production"
