"""Registration, sign-in and the user behind a token."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ticketing.db import autocommit_connection, session_scope
from ticketing.models import User
from ticketing.services.accounts.password_rules import check_new_password
from ticketing.services.accounts.passwords import hash_password, needs_rehash, verify_password
from ticketing.services.accounts.tokens import issue_token, read_token
from ticketing.services.errors import ServiceError, invalid
from ticketing.services.text_rules import check_text

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def register_user(*, db: Session, email: str, password: str, name: str, now: datetime) -> User:
    """Create an account; `email_taken` when the address is already registered."""
    email = normalize_email(email)
    name = check_text(name.strip(), field="name", label="Your name")  # before the costly hashing
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise invalid("invalid_email", "Enter a valid email address.", field="email")
    check_new_password(password, email=email, name=name)
    if not name or len(name) > 120:
        raise invalid("invalid_name", "Enter your name (up to 120 characters).", field="name")
    if db.exec(select(User.id).where(User.email == email)).first() is not None:
        raise ServiceError("email_taken", "An account with this email already exists.", field="email")
    user = User(email=email, name=name, password_hash=hash_password(password), created_at=now)
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ServiceError("email_taken", "An account with this email already exists.", field="email") from exc
    return user


def authenticate(*, db: Session, email: str, password: str) -> User:
    """The user with these credentials; `invalid_credentials` otherwise (same for unknown email)."""
    user = db.exec(select(User).where(User.email == normalize_email(email))).first()
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise ServiceError("invalid_credentials", "Wrong email or password.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.add(user)
    return user


def sign_in(*, db: Session, email: str, password: str, now: datetime) -> tuple[User, str]:
    """Authenticate and issue an access token."""
    user = authenticate(db=db, email=email, password=password)
    return user, issue_token(user_id=user.id, token_version=user.token_version, now=now)


def user_from_token(*, db: Session, token: str | None, now: datetime) -> User:
    """The signed-in user; `not_authenticated` / `invalid_token` otherwise."""
    return _user_of_version(db, *token_claims(token, now))


def _user_of_version(db: Session, user_id: uuid.UUID, version: int) -> User:
    """The user, when `version` is still their token version; `invalid_token` otherwise."""
    user = db.get(User, user_id)
    if user is None or user.token_version != version:
        raise stale_token()
    return user


_TOKEN_VERSION = "SELECT token_version FROM users WHERE id = %s"


def user_id_from_token(*, token: str | None, now: datetime) -> uuid.UUID:
    """user_from_token for callers that need only the id (every API request)."""
    user_id, version = token_claims(token, now)
    check_token_version(user_id, version)
    return user_id


def check_token_version(user_id: uuid.UUID, version: int) -> None:
    """`invalid_token` unless `version` is the user's token version: on PostgreSQL one read in
    autocommit, no ORM session or transaction, which cost more CPU than a hold."""
    with autocommit_connection() as raw:
        if raw is not None:
            row = raw.execute(_TOKEN_VERSION, (user_id,), prepare=True).fetchone()
            if row is None or row[0] != version:
                raise stale_token()
            return
    with session_scope(readonly=True) as db:
        _user_of_version(db, user_id, version)


def token_claims(token: str | None, now: datetime) -> tuple[uuid.UUID, int]:
    """(user id, token version) of a well-signed, unexpired token, read without the database;
    `not_authenticated` without one, `invalid_token` for a bad one."""
    if not token:
        raise ServiceError("not_authenticated", "Please sign in.")
    return read_token(token, now=now)


def stale_token() -> ServiceError:
    """The answer to a token whose version is no longer the user's (signed out everywhere)."""
    return ServiceError("invalid_token", "Your session is not valid; please sign in again.")


def user_by_id(*, db: Session, user_id: uuid.UUID) -> User:
    """The user; `invalid_token` when the account is gone (its tokens mean nothing)."""
    user = db.get(User, user_id)
    if user is None:
        raise stale_token()
    return user


def sign_out_everywhere(*, db: Session, user_id: uuid.UUID) -> None:
    """Invalidate every token issued so far for this user."""
    user = db.get(User, user_id)
    if user is not None:
        user.token_version += 1
        db.add(user)
