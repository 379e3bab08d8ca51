"""Access tokens: HS256 JWTs carrying the user id and the user's token version."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt

from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

ALGORITHM = "HS256"
AUDIENCE = "ticketing"


def issue_token(*, user_id: uuid.UUID, token_version: int, now: datetime, ttl: timedelta | None = None) -> str:
    """A signed token valid for `ttl` (settings.jwt_ttl_minutes by default)."""
    settings = get_settings()
    ttl = ttl or timedelta(minutes=settings.jwt_ttl_minutes)
    payload = {
        "sub": str(user_id),
        "ver": token_version,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM)


def token_expiry(token: str) -> float:
    """The expiry (epoch seconds) of a token already verified by read_token; 0 when unreadable."""
    try:
        return float(jwt.decode(token, options={"verify_signature": False})["exp"])
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
        return 0.0


def read_token(token: str, *, now: datetime) -> tuple[uuid.UUID, int]:
    """(user id, token version) from a valid token; `invalid_token` when tampered or expired."""
    try:
        payload = jwt.decode(
            token,
            get_settings().jwt_secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "iat", "aud"], "verify_exp": False},
        )
        if payload["exp"] <= now.timestamp():
            raise ServiceError("invalid_token", "Your session has expired; please sign in again.")
        return uuid.UUID(payload["sub"]), int(payload.get("ver", 0))
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise ServiceError("invalid_token", "Your session is not valid; please sign in again.") from exc
