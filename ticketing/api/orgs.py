"""/orgs: organizations and their members."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from ticketing.api.deps import current_user_id
from ticketing.api.schemas import FailedJobOut, MemberIn, MemberOut, OrganizationIn, OrganizationOut
from ticketing.db import session_scope
from ticketing.models import User
from ticketing.models.base import utcnow
from ticketing.services.accounts import organizations
from ticketing.services.reporting.failed_jobs import list_failed_jobs

router = APIRouter(prefix="/orgs", tags=["organizations"])


@router.post("", status_code=201, response_model=OrganizationOut)
def create_org(body: OrganizationIn, user_id: uuid.UUID = Depends(current_user_id)) -> OrganizationOut:
    with session_scope() as db:
        org = organizations.create_organization(db=db, user_id=user_id, name=body.name, slug=body.slug, now=utcnow())
        return OrganizationOut(id=org.id, name=org.name, slug=org.slug, role="owner")


@router.get("", response_model=list[OrganizationOut])
def my_orgs(user_id: uuid.UUID = Depends(current_user_id)) -> list[OrganizationOut]:
    with session_scope(readonly=True) as db:
        return [
            OrganizationOut(id=o.id, name=o.name, slug=o.slug, role=r.value)
            for o, r in organizations.list_memberships(db=db, user_id=user_id)
        ]


@router.get("/{org_id}", response_model=OrganizationOut)
def get_org(org_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> OrganizationOut:
    with session_scope(readonly=True) as db:
        org = organizations.get_organization(db=db, user_id=user_id, organization_id=org_id)
        role = organizations.membership_role(db=db, user_id=user_id, organization_id=org_id)
        return OrganizationOut(id=org.id, name=org.name, slug=org.slug, role=role.value if role else None)


@router.post("/{org_id}/members", status_code=201, response_model=MemberOut)
def add_member(org_id: uuid.UUID, body: MemberIn, user_id: uuid.UUID = Depends(current_user_id)) -> MemberOut:
    with session_scope() as db:
        m = organizations.add_member(
            db=db, user_id=user_id, organization_id=org_id, email=body.email, role=body.role, now=utcnow()
        )
        member = db.get(User, m.user_id)
        return MemberOut(user_id=m.user_id, email=member.email, name=member.name, role=m.role, organization_id=org_id)


@router.get("/{org_id}/members", response_model=list[MemberOut])
def list_members(org_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> list[MemberOut]:
    with session_scope(readonly=True) as db:
        return [
            MemberOut(user_id=u.id, email=u.email, name=u.name, role=r.value, organization_id=org_id)
            for u, r in organizations.list_members(db=db, user_id=user_id, organization_id=org_id)
        ]


@router.get("/{org_id}/jobs/failed", response_model=list[FailedJobOut])
def failed_jobs(org_id: uuid.UUID, user_id: uuid.UUID = Depends(current_user_id)) -> list[FailedJobOut]:
    """Jobs of the organization that failed for good (mails, refunds), newest first: owners and
    organizers only (403 `forbidden` for door staff, 404 for anyone else)."""
    with session_scope(readonly=True) as db:
        return [
            FailedJobOut(id=f.id, task=f.task, subject=f.subject, attempts=f.attempts, error=f.error,
                         failed_at=f.failed_at.isoformat())
            for f in list_failed_jobs(db=db, user_id=user_id, organization_id=org_id)
        ]
