"""What a shared link to an event shows before anyone opens it: the preview a chat app or a
search engine reads from the page's HTML (title, a sentence, the cover, the organizer)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from ticketing.models import Event, EventStatus, Organization
from ticketing.services.errors import not_found


@dataclass(frozen=True)
class SharePreview:
    title: str
    description: str  # one short paragraph
    location: str
    organizer: str
    cover_image: str  # file name in the upload storage ("" = none)


def share_preview(*, db: Session, event_id: uuid.UUID) -> SharePreview:
    """The public preview of a published (or cancelled) event; not_found for drafts, so a
    preview never leaks what the public may not see."""
    event = db.get(Event, event_id)
    if event is None or event.status == EventStatus.draft.value:
        raise not_found("event")
    org = db.get(Organization, event.organization_id)
    text = " ".join(event.description.split())
    if len(text) > 200:
        text = text[:197].rsplit(" ", 1)[0] + "…"
    if event.status == EventStatus.cancelled.value:
        text = "Cancelled. " + text
    return SharePreview(event.title, text, event.location, org.name if org else "", event.cover_image)
