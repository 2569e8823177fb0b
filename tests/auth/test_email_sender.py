"""Without SMTP settings (the embedded default) email is written to the log."""

from __future__ import annotations

import json

import pytest

from fltr_auth.email.sender import Email, LogEmailSender, SmtpEmailSender, email_sender
from fltr_auth.settings import AuthSettings
from fltr_shared.logging import configure_logging

pytestmark = pytest.mark.core


async def test_log_sender_writes_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")  # as create_app does: JSON lines on stderr
    sender = email_sender(AuthSettings(_env_file=None))
    assert isinstance(sender, LogEmailSender)
    try:
        await sender.send(Email(to="a@example.com", subject="Hi", text="link: http://x/y"))
    finally:
        configure_logging("WARNING", "json")  # what the test apps use
    line = next(x for x in capsys.readouterr().err.splitlines() if '"event": "email"' in x)
    record = json.loads(line)
    assert record["to"] == "a@example.com"
    assert record["body"] == "link: http://x/y"


def test_smtp_settings_select_smtp() -> None:
    sender = email_sender(AuthSettings(_env_file=None, smtp_host="mail.example", smtp_port=2525))
    assert isinstance(sender, SmtpEmailSender)
    assert sender.config.port == 2525
