"""Forgotten passwords: a reset link mailed to the account's address, valid for a short time and
usable once.

The link carries a signed token (HS256, the app's JWT secret, its own audience) naming the user
and a fingerprint of the password hash it may replace: once the password changes, every link
issued before stops working, so no table of used links is needed. Setting a new password also
bumps the user's token version, which signs them out everywhere else.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

import jwt
from sqlmodel import Session, select

from ticketing.models import User
from ticketing.services.accounts.accounts import normalize_email
from ticketing.services.accounts.password_rules import check_new_password
from ticketing.services.accounts.passwords import hash_password
from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

AUDIENCE = "ticketing-password-reset"
TTL = timedelta(minutes=30)


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _bad_link() -> ServiceError:
    return ServiceError("invalid_reset_link", "This link has expired or was already used. Ask for a new one.")


def reset_link_token(*, db: Session, email: str, now: datetime) -> tuple[User, str] | None:
    """(user, token) for the account with this email, or None: the caller says the same thing
    either way ("if an account exists, we sent a link"), so addresses cannot be probed."""
    user = db.exec(select(User).where(User.email == normalize_email(email or ""))).first()
    if user is None:
        return None
    payload = {"sub": str(user.id), "fp": _fingerprint(user.password_hash), "aud": AUDIENCE,
               "iat": int(now.timestamp()), "exp": int((now + TTL).timestamp())}
    return user, jwt.encode(payload, get_settings().jwt_secret, algorithm="HS256")


def _user_of(db: Session, token: str, now: datetime, *, lock: bool = False) -> User:
    try:
        payload = jwt.decode(token, get_settings().jwt_secret, algorithms=["HS256"], audience=AUDIENCE,
                             options={"require": ["sub", "fp", "exp", "aud"], "verify_exp": False,
                                      "verify_iat": False})  # times are checked against `now` below
        # Locked when spending the link: two tabs submitting it at once cannot both use it.
        user = db.get(User, uuid.UUID(payload["sub"]), with_for_update=lock, populate_existing=lock)
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        raise _bad_link() from None
    if payload["exp"] <= now.timestamp() or user is None or payload["fp"] != _fingerprint(user.password_hash):
        raise _bad_link()
    return user


def check_reset_link(*, db: Session, token: str, now: datetime) -> str:
    """The email the link resets (shown on the form); `invalid_reset_link` otherwise."""
    return _user_of(db, token, now).email


def reset_password(*, db: Session, token: str, password: str, now: datetime) -> User:
    """Set a new password through a valid link; the link (and every older one) is then spent and
    the user's other sessions end."""
    user = _user_of(db, token, now, lock=True)
    check_new_password(password or "", email=user.email, name=user.name)  # the rules of registration
    user.password_hash = hash_password(password)
    user.token_version += 1
    db.add(user)
    db.flush()
    return user
