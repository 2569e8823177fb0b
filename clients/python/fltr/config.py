"""Where the CLI finds the API and its credential.

Saved by ``fltr login`` at ``$XDG_CONFIG_HOME/fltr/config.json`` (``~/.config/fltr/config.json``
by default), readable by its owner only. ``FLTR_API_URL``, ``FLTR_AUTH_URL`` and ``FLTR_TOKEN``
override what the file says, so CI can run the CLI without logging in.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_API_URL = "http://localhost:8000"
DEFAULT_AUTH_URL = "http://localhost:8001"


@dataclass(frozen=True)
class Config:
    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL
    token: str | None = None


def config_path() -> Path:
    # read at call time: tests and shells change HOME / XDG_CONFIG_HOME between calls
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "fltr" / "config.json"


def load_saved() -> Config:
    """What ``fltr login`` saved (defaults when nothing was), ignoring the environment."""
    path = config_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is unreadable: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} does not hold a JSON object")
    return Config(
        api_url=str(raw.get("api_url") or DEFAULT_API_URL),
        auth_url=str(raw.get("auth_url") or DEFAULT_AUTH_URL),
        token=str(raw["token"]) if raw.get("token") else None,
    )


def load() -> Config:
    """The saved configuration with the FLTR_* environment variables on top."""
    saved = load_saved()
    return Config(
        api_url=os.environ.get("FLTR_API_URL") or saved.api_url,
        auth_url=os.environ.get("FLTR_AUTH_URL") or saved.auth_url,
        token=os.environ.get("FLTR_TOKEN") or saved.token,
    )


def save(config: Config) -> Path:
    """Write the file with mode 0600 from the start: a token must never be world-readable,
    not even for the moment between creating and chmod-ing it."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(config), handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)
    return path


class ConfigError(Exception):
    """The saved configuration cannot be read."""
