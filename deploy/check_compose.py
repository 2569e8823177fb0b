#!/usr/bin/env python3
"""Static checks of deploy/compose.yaml (no Docker engine needed).

Checks: every build.dockerfile exists; every depends_on names a service; the
postgres init script creates fltr_auth and fltr; every service running
`db upgrade`, `serve`, `worker` or `beat` uses the console script of the
image it is built from, with serve on that service's port; the content side
never sees the auth database. Exits 1 with one line per problem.

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
