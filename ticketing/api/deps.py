"""Request dependencies: the caller's identity from the Bearer token."""

from __future__ import annotations

import uuid

from fastapi import Header

from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.accounts import user_from_token
from ticketing.services.errors import ServiceError


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError("invalid_token", "Use an 'Authorization: Bearer <token>' header.")
    return token.strip()


def current_user_id(authorization: str | None = Header(default=None)) -> uuid.UUID:
    """The signed-in caller's id; 401 problem otherwise."""
    token = bearer_token(authorization)
    with session_scope(readonly=True) as db:
        return user_from_token(db=db, token=token, now=utcnow()).id
