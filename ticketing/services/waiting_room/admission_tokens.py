"""Admission tokens: a signed, expiring pass that lets one account hold tickets of one event
while its waiting room is on.

HS256 JWTs under a key derived from JWT_SECRET for this purpose alone, with an audience of
their own: an access token is never an admission, nor an admission an access token.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime

import jwt

from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

AUDIENCE = "ticketing-admission"
ALGORITHM = "HS256"


def _key() -> bytes:
    return hmac.new(get_settings().jwt_secret.encode(), b"waiting-room-admission", hashlib.sha256).digest()


def issue_admission(*, event_id: uuid.UUID, user_id: uuid.UUID, expires_at: datetime, now: datetime) -> str:
    """A token admitting `user_id` to hold tickets of `event_id` until `expires_at`."""
    payload = {"sub": str(user_id), "evt": str(event_id), "aud": AUDIENCE, "iat": int(now.timestamp()),
               "exp": int(expires_at.timestamp())}
    return jwt.encode(payload, _key(), algorithm=ALGORITHM)


def check_admission_token(token: str | None, *, event_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> datetime:
    """The expiry of a token admitting this account to this event now; else refused with
    `admission_required` (none), `admission_invalid` (forged, tampered, another account's),
    `admission_wrong_event` (another event's) or `admission_expired`."""
    if not token:
        raise ServiceError("admission_required", "This sale has a waiting room: join the queue to buy.", status=403)
    try:
        payload = jwt.decode(token, _key(), algorithms=[ALGORITHM], audience=AUDIENCE,
                             options={"require": ["sub", "evt", "exp", "aud"], "verify_exp": False,
                                      "verify_iat": False})  # checked against `now` below
        subject, event, expires = uuid.UUID(payload["sub"]), uuid.UUID(payload["evt"]), int(payload["exp"])
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise ServiceError("admission_invalid", "This admission is not valid: join the queue to buy.",
                           status=403) from exc
    if subject != user_id:
        raise ServiceError("admission_invalid", "This admission belongs to another account: join the queue to buy.",
                           status=403)
    if event != event_id:
        raise ServiceError("admission_wrong_event", "This admission is for another event: join this event's queue.",
                           status=403)
    if expires <= now.timestamp():
        raise ServiceError("admission_expired", "Your admission has expired: join the queue again.", status=403)
    return datetime.fromtimestamp(expires, tz=now.tzinfo)
