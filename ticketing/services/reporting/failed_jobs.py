"""Jobs that failed for good (a mail that could not be sent, a refund Stripe would not take),
for the organization's owners and organizers to act on."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from ticketing.models import JobFailure, Role
from ticketing.services.accounts.organizations import require_role

LIMIT = 200


def list_failed_jobs(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> list[JobFailure]:
    """The organization's failed jobs, newest first (the last LIMIT); owners and organizers only."""
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles=(Role.owner, Role.organizer))
    stmt = (select(JobFailure).where(JobFailure.organization_id == organization_id)
            .order_by(JobFailure.failed_at.desc()).limit(LIMIT))
    return list(db.exec(stmt).all())
