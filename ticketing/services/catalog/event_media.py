"""An event's cover image, kept in the app's upload storage.

Only raster formats recognised by their first bytes are accepted (the declared type and file
name are the uploader's claims, and SVG can carry scripts). The stored name is derived from the
content's hash, so uploading the same picture twice writes one file, and a file written by a
transaction that then rolls back is harmless: nothing points at it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from ticketing.models import Event
from ticketing.services.catalog.catalog_common import ensure_not_cancelled, event_for_role, save_structure
from ticketing.services.errors import invalid

MAX_COVER_BYTES = 5 * 1024 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def image_kind(data: bytes) -> str | None:
    """'png', 'jpg', 'gif' or 'webp' from the file's first bytes; None for anything else."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_cover_editor(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID) -> None:
    """Whether the caller may change the event's cover (owner/organizer, event not cancelled):
    asked before an upload's first byte is read."""
    ensure_not_cancelled(event_for_role(db, event_id=event_id, user_id=user_id))


def set_cover_image(
    *, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, data: bytes, storage_dir: Path, now: datetime
) -> Event:
    """Store `data` as the event's cover (owner/organizer). 422 invalid_image for anything but
    a PNG, JPEG, GIF or WebP of at most 5 MB."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    if not data:
        raise invalid("invalid_image", "The file is empty.", field="cover")
    if len(data) > MAX_COVER_BYTES:
        raise invalid("invalid_image", "The image is larger than 5 MB; please use a smaller one.", field="cover")
    kind = image_kind(data)
    if kind is None:
        raise invalid("invalid_image", "Use a PNG, JPEG, GIF or WebP image.", field="cover")
    name = f"cover-{hashlib.sha256(data).hexdigest()[:32]}.{kind}"
    storage_dir.mkdir(parents=True, exist_ok=True)
    target = storage_dir / name
    if not target.exists():
        partial = storage_dir / f".{name}.{uuid.uuid4().hex}.part"
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a reader never sees half an image
    event.cover_image = name
    save_structure(db, event, event_id=event.id)
    return event


def remove_cover_image(*, db: Session, user_id: uuid.UUID, event_id: uuid.UUID, now: datetime) -> Event:
    """The event shows no cover any more (the file stays: another event may use the same one)."""
    event = event_for_role(db, event_id=event_id, user_id=user_id)
    ensure_not_cancelled(event)
    if event.cover_image:
        event.cover_image = ""
        save_structure(db, event, event_id=event.id)
    return event
