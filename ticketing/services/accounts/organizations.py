"""Organizations (tenants), their members, and the role checks every use case calls.

Tenant isolation rule: a user who is not a member of an organization gets `not_found` for it
and for everything inside it, exactly as for an id that does not exist.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ticketing.models import Membership, Organization, Role, User
from ticketing.services.accounts.accounts import normalize_email
from ticketing.services.errors import ServiceError, invalid, not_found

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
STAFF_ROLES = frozenset({Role.owner, Role.organizer, Role.door})
MANAGER_ROLES = frozenset({Role.owner, Role.organizer})
T = TypeVar("T")


def create_organization(*, db: Session, user_id: uuid.UUID, name: str, slug: str, now: datetime) -> Organization:
    """A new organization; the creator becomes its owner."""
    name, slug = name.strip(), slug.strip().lower()
    if not name or len(name) > 120:
        raise invalid("invalid_name", "Enter the organization's name (up to 120 characters).", field="name")
    if not SLUG_RE.match(slug):
        raise invalid(
            "invalid_slug", "Use 1-60 lowercase letters, digits and dashes for the short name.", field="slug"
        )
    if db.exec(select(Organization.id).where(Organization.slug == slug)).first() is not None:
        raise ServiceError("slug_taken", "That short name is taken.", field="slug")
    org = Organization(name=name, slug=slug, created_at=now)
    db.add(org)
    try:
        db.flush()
    except IntegrityError as exc:
        raise ServiceError("slug_taken", "That short name is taken.", field="slug") from exc
    db.add(Membership(organization_id=org.id, user_id=user_id, role=Role.owner.value, created_at=now))
    db.flush()
    return org


def membership_role(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> Role | None:
    """The user's role in the organization, or None for customers and strangers."""
    role = db.exec(
        select(Membership.role).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    ).first()
    return Role(role) if role else None


def require_role(
    *, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, roles: Iterable[Role] = STAFF_ROLES
) -> Role:
    """The caller's role when it is one of `roles`.

    Not a member at all -> `not_found` (the organization's existence is not revealed);
    a member with another role -> `forbidden`.
    """
    return _checked_role(db, user_id=user_id, organization_id=organization_id, roles=roles, what="organization")


def row_for_role(db: Session, model: type[T], row_id: uuid.UUID, *, user_id: uuid.UUID, what: str,
                 roles: Iterable[Role] = MANAGER_ROLES) -> T:
    """The row of `model` (anything owned by an organization) when the caller has one of `roles`
    in its organization. Unknown id or a caller outside the organization -> not_found(what), so
    a stranger cannot tell the two apart; a member with another role -> forbidden."""
    row = db.get(model, row_id)
    if row is None:
        raise not_found(what)
    _checked_role(db, user_id=user_id, organization_id=row.organization_id, roles=roles, what=what)
    return row


def _checked_role(db: Session, *, user_id: uuid.UUID, organization_id: uuid.UUID, roles: Iterable[Role],
                  what: str) -> Role:
    role = membership_role(db=db, user_id=user_id, organization_id=organization_id)
    if role is None:
        raise not_found(what)
    if role not in set(roles):
        raise ServiceError("forbidden", "Your role in this organization does not allow this.", status=403)
    return role


def get_organization(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> Organization:
    """An organization the caller belongs to."""
    require_role(db=db, user_id=user_id, organization_id=organization_id)
    org = db.get(Organization, organization_id)
    if org is None:
        raise not_found("organization")
    return org


def list_memberships(*, db: Session, user_id: uuid.UUID) -> list[tuple[Organization, Role]]:
    """The organizations the user works for, with the role in each, by name."""
    rows = db.exec(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    ).all()
    return [(org, Role(role)) for org, role in rows]


def add_member(
    *, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID, email: str, role: str, now: datetime
) -> Membership:
    """Give a registered user a role in the organization (owners only)."""
    require_role(db=db, user_id=user_id, organization_id=organization_id, roles={Role.owner})
    try:
        new_role = Role(role)
    except ValueError as exc:
        raise invalid("invalid_role", "Role must be owner, organizer or door.", field="role") from exc
    member = db.exec(select(User).where(User.email == normalize_email(email))).first()
    if member is None:
        raise ServiceError("user_not_found", "No account uses this email; ask them to register first.", status=404)
    if membership_role(db=db, user_id=member.id, organization_id=organization_id) is not None:
        raise ServiceError("already_member", "This person is already a member.")
    membership = Membership(organization_id=organization_id, user_id=member.id, role=new_role.value, created_at=now)
    db.add(membership)
    db.flush()
    return membership


def list_members(*, db: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> list[tuple[User, Role]]:
    """Members of an organization (any staff member may look)."""
    require_role(db=db, user_id=user_id, organization_id=organization_id)
    rows = db.exec(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
        .order_by(User.name)
    ).all()
    return [(user, Role(role)) for user, role in rows]


def members_with_role(*, db: Session, organization_id: uuid.UUID, user_ids: Iterable[uuid.UUID],
                      roles: Iterable[Role] = MANAGER_ROLES) -> set[uuid.UUID]:
    """Those of `user_ids` who have one of `roles` in the organization (one query for many)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(db.exec(select(Membership.user_id).where(
        Membership.organization_id == organization_id, Membership.user_id.in_(ids),
        Membership.role.in_([r.value for r in roles]))).all())
