"""Idempotency-Key support: a retried request gets the first response and changes nothing.

The key is claimed (a row inserted) at the start of the transaction that does the work, and
the response is stored in that same transaction. A concurrent request with the same key blocks
on the unique index until the first commits, then fails with `IdempotencyRace`; the caller
starts a fresh transaction and replays the stored response. Failed requests store nothing
(their transaction rolls back), so retrying one re-runs it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ticketing.models import IdempotencyRecord
from ticketing.services.errors import ServiceError, invalid

MAX_KEY_LENGTH = 255
_CLAIMED = 0  # status_code of a row whose response is not written yet (never visible outside)


class IdempotencyRace(Exception):
    """Another request with the same key committed first: retry in a new transaction."""


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


def request_fingerprint(body: Any) -> str:
    """A stable hash of the request body (canonical JSON)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """The key when it is usable; 422 `invalid_idempotency_key` otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise invalid("invalid_idempotency_key", f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters.")
    return key


def begin(
    *, db: Session, user_id: uuid.UUID, scope: str, key: str, request_hash: str, now: datetime
) -> tuple[StoredResponse | None, IdempotencyRecord | None]:
    """Replay or claim a key.

    Returns (stored response, None) when the same request already succeeded; (None, record)
    when this request now owns the key and must `finish` it. 422 `idempotency_key_reused`
    when the key was used with a different body; `IdempotencyRace` as described above.
    """
    check_key(key)
    existing = db.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    ).first()
    if existing is not None:
        if existing.request_hash != request_hash:
            raise ServiceError(
                "idempotency_key_reused", "This Idempotency-Key was used for a different request.", status=422
            )
        return StoredResponse(existing.status_code, existing.response), None
    record = IdempotencyRecord(
        user_id=user_id, scope=scope, key=key, request_hash=request_hash, status_code=_CLAIMED, response={},
        created_at=now,
    )
    db.add(record)
    try:
        # A nested savepoint keeps the session usable: the caller rolls back and retries anyway.
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise IdempotencyRace(key) from exc
    return None, record


def finish(*, db: Session, record: IdempotencyRecord, status_code: int, body: dict[str, Any]) -> None:
    """Store the response of the request that owns the key (same transaction as the work)."""
    record.status_code = status_code
    record.response = body
    db.add(record)
    db.flush()
