"""Small builders for test data, going through the services like real callers do."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from ticketing.models import Organization, User
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts, organizations


def make_user(db: Session, *, email: str | None = None, name: str = "Test User", password: str = "correct horse") -> User:
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    return accounts.register_user(db=db, email=email, password=password, name=name, now=utcnow())


def make_org(db: Session, *, owner: User, slug: str | None = None, name: str = "Test Org", now: datetime | None = None) -> Organization:
    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    return organizations.create_organization(db=db, user_id=owner.id, name=name, slug=slug, now=now or utcnow())
