"""JSON logs: tracebacks keep their frames but never the frames' local variables (tokens,
keys and request bodies live there)."""

from __future__ import annotations

import json

import pytest
import structlog

from fltr_shared.logging import configure_logging

pytestmark = pytest.mark.core


def test_tracebacks_leave_out_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    log = structlog.get_logger("test")
    try:
        api_key = "fltr_secret_value_in_a_local"  # noqa: F841 - what must not be logged
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["exception"][0]["exc_type"] == "RuntimeError"
    assert record["exception"][0]["frames"]
    assert "fltr_secret_value_in_a_local" not in line
