"""Sending one email: over SMTP when SMTP_HOST is set, else into the local outbox folder
(development: each message is an .eml file, listed at /dev/outbox)."""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from pathlib import Path

from ticketing.models.base import utcnow
from ticketing.settings import get_settings

log = logging.getLogger(__name__)


def send(message: EmailMessage, *, key: str | None = None) -> str:
    """Deliver the message; returns where it went ("smtp" or the outbox file's path).

    `key` names the mail's purpose (jobs send each purpose once): the same key gives the same
    Message-ID and, in the outbox, the same file, so a mail sent again after a crash stays one."""
    settings = get_settings()
    if "From" not in message:
        message["From"] = settings.mail_from
    digest = hashlib.sha256(key.encode()).hexdigest()[:16] if key else None
    if digest and "Message-ID" not in message:
        message["Message-ID"] = f"<{digest}@ticketing>"
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
        return "smtp"
    outbox = Path(settings.outbox_dir)
    outbox.mkdir(parents=True, exist_ok=True)
    earlier = sorted(outbox.glob(f"*-{digest}.eml")) if digest else []
    path = earlier[0] if earlier else outbox / f"{utcnow():%Y%m%dT%H%M%S}-{digest or uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    log.info("mail to %s written to %s", message["To"], path)
    return str(path)


def outbox_messages(limit: int = 50) -> list[Path]:
    """The newest messages in the development outbox."""
    outbox = Path(get_settings().outbox_dir)
    if not outbox.is_dir():
        return []
    return sorted(outbox.glob("*.eml"), reverse=True)[:limit]
