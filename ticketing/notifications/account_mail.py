"""Emails about the account itself: the password reset link."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from sqlmodel import Session

from ticketing.db import on_commit
from ticketing.notifications.mailer import send
from ticketing.services.accounts import password_reset
from ticketing.services.accounts.password_reset import TTL
from ticketing.settings import get_settings


def send_password_reset(*, email: str, name: str, token: str) -> str:
    """The reset link; it works once, for TTL minutes."""
    link = f"{get_settings().app_url}/reset-password?token={token}"
    minutes = int(TTL.total_seconds() // 60)
    msg = EmailMessage()
    msg["To"] = email
    msg["Subject"] = "Reset your Ticketing password"
    msg.set_content(
        f"Hello {name},\n\nsomeone (hopefully you) asked to reset the password of this account.\n"
        f"Choose a new password here within {minutes} minutes:\n\n{link}\n\n"
        "The link works once. If you did not ask for it, ignore this mail: your password stays as it is.\n"
    )
    return send(msg)


def mail_reset_link(*, db: Session, email: str, now: datetime) -> None:
    """Mail a reset link to the account with this email, after commit; nothing for an unknown
    one (the caller answers the same either way)."""
    found = password_reset.reset_link_token(db=db, email=email, now=now)
    if found is not None:
        user, token = found
        to, name = user.email, user.name
        on_commit(db, lambda: send_password_reset(email=to, name=name, token=token))
