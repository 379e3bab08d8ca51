"""Request dependencies: the caller's identity from the Bearer token."""

from __future__ import annotations

import uuid

from fastapi import Header

from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
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
    return accounts.user_id_from_token(token=bearer_token(authorization), now=utcnow())


async def token_claims(authorization: str | None = Header(default=None)) -> tuple[uuid.UUID, int]:
    """(user id, token version) of a well-signed, unexpired Bearer token, checked without the
    database: the route must check the version against the user's in its own transaction
    (the door's scan does, in its first statement); 401 problem otherwise. Async because it
    never blocks: a sync dependency would cost a trip through the thread pool per request."""
    return accounts.token_claims(bearer_token(authorization), utcnow())
