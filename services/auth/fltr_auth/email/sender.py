"""Send email through SMTP (aiosmtplib) or write it to the log.

Messages are sent after the request's transaction commits, in the background, so a
slow mail server neither delays the answer nor reveals (by timing) whether an address exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import structlog
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.settings import AuthSettings
from fltr_shared.background import BackgroundTasks
from fltr_shared.db import after_commit

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str


class EmailSender(Protocol):
    async def send(self, email: Email) -> None: ...


class LogEmailSender:
    """The embedded default: the message (with its link) goes to the log."""

    async def send(self, email: Email) -> None:
        logger.info("email", to=email.to, subject=email.subject, body=email.text)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: SecretStr | None
    sender: str
    starttls: bool
    timeout: float


class SmtpEmailSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, email: Email) -> None:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.text)
        await aiosmtplib.send(
            message,
            hostname=self.config.host,
            port=self.config.port,
            username=self.config.username,
            password=self.config.password.get_secret_value() if self.config.password else None,
            start_tls=self.config.starttls,
            timeout=self.config.timeout,
        )
        logger.info("email_sent", to=email.to, subject=email.subject)


class Mailer:
    """Sends email once the request's transaction has committed, in the background."""

    def __init__(self, sender: EmailSender, background: BackgroundTasks) -> None:
        self.sender = sender
        self.background = background

    def send_after_commit(self, db: AsyncSession, email: Email) -> None:
        after_commit(db, lambda: self.background.spawn(self.sender.send(email), name="email"))


def email_sender(settings: AuthSettings) -> EmailSender:
    if not settings.smtp_host:
        return LogEmailSender()
    return SmtpEmailSender(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    )
