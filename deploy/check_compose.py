#!/usr/bin/env python3
"""Static checks of deploy/compose.yaml (no Docker engine needed).

Checks: every build.dockerfile exists; every depends_on names a service; the
postgres init script creates fltr_auth and fltr; every service running
`db upgrade`, `serve`, `worker` or `beat` uses the console script of the
image it is built from, with serve on that service's port; the content side
never sees the auth database. The production-like stack is whole: the data
stores (PostgreSQL, Redis, Milvus with etcd and MinIO) and one service per
process kind (both migrations, both servers, worker, beat), none hidden behind
a profile; every server, worker and beat waits for its service's migration to
complete; the content processes agree on Milvus, Redis, the broker and the
bucket, and that bucket is made by a minio/mc one-shot they wait for; exactly
one beat. Exits 1 with one line per problem.

Usage: python3 deploy/check_compose.py [path/to/compose.yaml]
Needs only the stdlib and PyYAML.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent
DATABASES = ("fltr_auth", "fltr")
# console script -> (Dockerfile that installs it, port its `serve` listens on)
SCRIPTS = {
    "fltr-auth": ("auth.Dockerfile", 8001),
    "fltr-content": ("content.Dockerfile", 8000),
}
SUBCOMMANDS = ("db upgrade", "serve", "worker", "beat")
# (script, subcommand) pairs the stack must run
PROCESSES = (
    ("fltr-auth", "db upgrade"),
    ("fltr-content", "db upgrade"),
    ("fltr-auth", "serve"),
    ("fltr-content", "serve"),
    ("fltr-content", "worker"),
    ("fltr-content", "beat"),
)
# image name prefixes of the data stores
STORES = {
    "PostgreSQL": "postgres:",
    "Redis": "redis:",
    "Milvus": "milvusdb/milvus:",
    "etcd (Milvus)": "quay.io/coreos/etcd:",
    "MinIO": "minio/minio:",
}
# settings every content process must agree on (prefix FLTR_CONTENT_ stripped)
SHARED_CONTENT_SETTINGS = (
    "MILVUS_URI",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "DATABASE_URL",
)
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _command(svc: dict) -> list[str]:
    cmd = svc.get("command")
    if cmd is None:
        return []
    return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]


def _has_tokens(cmd: list[str], tokens: list[str]) -> bool:
    n = len(tokens)
    return any(cmd[i : i + n] == tokens for i in range(len(cmd) - n + 1))


def _environment(svc: dict) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _created_databases(sql: str) -> set[str]:
    sql = re.sub(r"--[^\n]*", "", sql)
    return {m.lower() for m in re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)\"?", sql, re.I)}


def _resolve(value: str) -> str:
    """``${NAME:-default}`` -> default (what compose uses when NAME is unset)."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def _process(svc: dict) -> tuple[str, str] | None:
    cmd = _command(svc)
    for script, sub in PROCESSES:
        if cmd[:1] == [script] and cmd[1 : 1 + len(sub.split())] == sub.split():
            return script, sub
    return None


def _depends(svc: dict) -> dict[str, str]:
    """depends_on as {service: condition} (the short list form means service_started)."""
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return {str(d): "service_started" for d in deps}
    return {str(k): str((v or {}).get("condition", "service_started")) for k, v in deps.items()}


def _content_settings(svc: dict) -> dict[str, str]:
    env = {}
    for key, value in _environment(svc).items():
        env[key.removeprefix("FLTR_CONTENT_")] = _resolve(value)
    return env


def check_stack(services: dict) -> list[str]:
    """The production-like stack is whole and wired in the right order."""
    errors: list[str] = []
    mappings = {n: s for n, s in services.items() if isinstance(s, dict)}
    images = {n: str(s.get("image", "")) for n, s in mappings.items()}
    for store, prefix in STORES.items():
        if not any(image.startswith(prefix) for image in images.values()):
            errors.append(f"no {store} service (image {prefix}...)")

    runs: dict[tuple[str, str], list[str]] = {p: [] for p in PROCESSES}
    for name, svc in mappings.items():
        proc = _process(svc)
        if proc is not None:
            runs[proc].append(name)
            if svc.get("profiles"):
                errors.append(f"service {name!r}: `{' '.join(proc)}` is behind a profile")
    for (script, sub), names in runs.items():
        if not names:
            errors.append(f"no service runs `{script} {sub}`")
    if len(runs[("fltr-content", "beat")]) > 1:
        errors.append(f"more than one beat: {runs[('fltr-content', 'beat')]}")
    for name in runs[("fltr-content", "beat")]:
        replicas = (mappings[name].get("deploy") or {}).get("replicas", 1)
        if replicas != 1:
            errors.append(f"service {name!r}: beat must run once, not {replicas} replicas")

    # servers, worker and beat wait until their service's migration has completed
    for script in ("fltr-auth", "fltr-content"):
        migrations = set(runs[(script, "db upgrade")])
        for sub in ("serve", "worker", "beat"):
            for name in runs.get((script, sub), []):
                deps = _depends(mappings[name])
                if not any(deps.get(m) == "service_completed_successfully" for m in migrations):
                    errors.append(
                        f"service {name!r}: must depend on {sorted(migrations)} with "
                        "condition service_completed_successfully"
                    )

    # the content processes agree, and their bucket is made before they start
    content_procs = [n for sub in ("serve", "worker", "beat") for n in runs[("fltr-content", sub)]]
    settings = {n: _content_settings(mappings[n]) for n in content_procs}
    for key in SHARED_CONTENT_SETTINGS:
        values = {n: env.get(key, "") for n, env in settings.items()}
        if len(set(values.values())) > 1:
            errors.append(f"content processes disagree on {key}: {values}")
    for name, env in settings.items():
        if env.get("FLTR_ENV") != "production":
            errors.append(f"service {name!r}: FLTR_ENV is not production")
    makers = {n for n, image in images.items() if image.startswith("minio/mc")}
    for name in runs[("fltr-content", "serve")] + runs[("fltr-content", "worker")]:
        bucket = settings[name].get("S3_BUCKET", "")
        if not bucket:
            errors.append(f"service {name!r}: no S3_BUCKET (originals would stay on one disk)")
            continue
        made_by = {
            n
            for n in makers
            if bucket in _resolve(" ".join(_command(mappings[n])))
            or bucket in _environment(mappings[n]).values()
            or bucket in map(_resolve, _environment(mappings[n]).values())
        }
        if not made_by:
            errors.append(f"no minio/mc service creates bucket {bucket!r}")
        elif not any(
            _depends(mappings[name]).get(m) == "service_completed_successfully" for m in made_by
        ):
            errors.append(
                f"service {name!r}: must depend on {sorted(made_by)} "
                "with condition service_completed_successfully"
            )
    return errors


def check(compose_path: Path) -> list[str]:
    errors: list[str] = []
    try:
        doc = yaml.safe_load(compose_path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        return [f"{compose_path}: cannot load: {exc}"]
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict) or not services:
        return [f"{compose_path}: no services"]
    base = compose_path.parent

    for name, svc in services.items():
        where = f"service {name!r}"
        if not isinstance(svc, dict):
            errors.append(f"{where}: not a mapping")
            continue

        # 1. build.dockerfile exists (relative to build.context, itself relative to compose.yaml)
        build = svc.get("build")
        dockerfile = None
        if build is not None:
            if isinstance(build, str):
                build = {"context": build}
            context = (base / build.get("context", ".")).resolve()
            dockerfile = (context / build.get("dockerfile", "Dockerfile")).resolve()
            if not context.is_dir():
                errors.append(f"{where}: build.context {context} is not a directory")
            if not dockerfile.is_file():
                errors.append(f"{where}: build.dockerfile {dockerfile} does not exist")

        # 2. depends_on names existing services
        deps = svc.get("depends_on") or []
        for dep in deps if isinstance(deps, list) else deps.keys():
            if dep not in services:
                errors.append(f"{where}: depends_on unknown service {dep!r}")
            elif dep == name:
                errors.append(f"{where}: depends on itself")

        # 3. the right console script for the subcommand
        cmd = _command(svc)
        joined = " ".join(cmd)
        sub = next((s for s in SUBCOMMANDS if _has_tokens(cmd, s.split())), None)
        if sub is not None:
            script = cmd[0] if cmd else ""
            if script not in SCRIPTS:
                errors.append(
                    f"{where}: runs {sub!r} via {script!r}, expected one of {sorted(SCRIPTS)}"
                )
            else:
                want_file, port = SCRIPTS[script]
                if dockerfile is None or dockerfile.name != want_file:
                    got = dockerfile.name if dockerfile else "no build"
                    errors.append(
                        f"{where}: runs {script} but is built from {got}, expected {want_file}"
                    )
                if cmd[1 : 1 + len(sub.split())] != sub.split():
                    errors.append(f"{where}: expected `{script} {sub} ...`, got {joined!r}")
                if sub == "serve" and not re.search(rf"--port[ =]{port}\b", joined):
                    errors.append(f"{where}: {script} serve must use --port {port}, got {joined!r}")

        # 4. content-side services never get the auth database
        if cmd and cmd[0] == "fltr-content":
            for key, value in _environment(svc).items():
                if "fltr_auth" in value:
                    errors.append(f"{where}: {key} points at the auth database")

    # 5. the postgres init script creates both databases
    pg = services.get("postgres")
    if not isinstance(pg, dict):
        errors.append("no 'postgres' service")
    else:
        init_dirs = [
            (base / v.split(":")[0]).resolve()
            for v in pg.get("volumes") or []
            if isinstance(v, str) and ":/docker-entrypoint-initdb.d" in v
        ]
        if not init_dirs:
            errors.append("postgres: no volume mounted at /docker-entrypoint-initdb.d")
        created: set[str] = set()
        for d in init_dirs:
            for sql in sorted(d.glob("*.sql")) if d.is_dir() else []:
                created |= _created_databases(sql.read_text())
        for db in DATABASES:
            if init_dirs and db not in created:
                errors.append(
                    f"postgres init scripts in {[str(d) for d in init_dirs]} "
                    f"do not create database {db!r}"
                )
    errors.extend(check_stack(services))
    return errors


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEPLOY / "compose.yaml"
    errors = check(path.resolve())
    if errors:
        print(f"check_compose: {len(errors)} problem(s) in {path}:", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    print(f"check_compose: OK ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
