"""Organizations, roles and the role checks every use case relies on."""

from __future__ import annotations

import pytest

from tests.factories import make_org, make_user
from ticketing.models import Role
from ticketing.models.base import utcnow
from ticketing.services.accounts import organizations
from ticketing.services.errors import ServiceError


def _code(fn, **kw) -> str:
    with pytest.raises(ServiceError) as err:
        fn(**kw)
    return err.value.code


def test_creator_becomes_owner_and_slug_is_unique(db):
    owner = make_user(db)
    org = make_org(db, owner=owner, slug="riverside")
    assert organizations.membership_role(db=db, user_id=owner.id, organization_id=org.id) is Role.owner
    assert _code(organizations.create_organization, db=db, user_id=owner.id, name="X", slug="riverside",
                 now=utcnow()) == "slug_taken"
    assert _code(organizations.create_organization, db=db, user_id=owner.id, name="X", slug="Bad Slug!",
                 now=utcnow()) == "invalid_slug"


def test_require_role_hides_other_orgs_and_forbids_wrong_roles(db):
    owner, door, stranger = make_user(db), make_user(db), make_user(db)
    org = make_org(db, owner=owner)
    organizations.add_member(db=db, user_id=owner.id, organization_id=org.id, email=door.email, role="door",
                             now=utcnow())
    assert organizations.require_role(db=db, user_id=door.id, organization_id=org.id) is Role.door
    err = pytest.raises(ServiceError, organizations.require_role, db=db, user_id=door.id, organization_id=org.id,
                        roles=organizations.MANAGER_ROLES)
    assert err.value.code == "forbidden" and err.value.status == 403
    err = pytest.raises(ServiceError, organizations.require_role, db=db, user_id=stranger.id,
                        organization_id=org.id)
    assert err.value.code == "not_found" and err.value.status == 404


def test_only_owners_add_members_and_only_known_accounts(db):
    owner, organizer, newcomer = make_user(db), make_user(db), make_user(db)
    org = make_org(db, owner=owner)
    organizations.add_member(db=db, user_id=owner.id, organization_id=org.id, email=organizer.email,
                             role="organizer", now=utcnow())
    kw = dict(db=db, organization_id=org.id, now=utcnow())
    assert _code(organizations.add_member, user_id=organizer.id, email=newcomer.email, role="door", **kw) == "forbidden"
    assert _code(organizations.add_member, user_id=owner.id, email="ghost@example.com", role="door", **kw) == "user_not_found"
    assert _code(organizations.add_member, user_id=owner.id, email=newcomer.email, role="admin", **kw) == "invalid_role"
    assert _code(organizations.add_member, user_id=owner.id, email=organizer.email, role="door", **kw) == "already_member"
    assert organizations.membership_role(db=db, user_id=newcomer.id, organization_id=org.id) is None


def test_one_org_cannot_read_or_change_another(db):
    alice, bob = make_user(db), make_user(db)
    org_a, org_b = make_org(db, owner=alice), make_org(db, owner=bob)
    victim = make_user(db)
    for fn, kw in [
        (organizations.get_organization, {}),
        (organizations.list_members, {}),
        (organizations.add_member, {"email": victim.email, "role": "owner", "now": utcnow()}),
    ]:
        assert _code(fn, db=db, user_id=alice.id, organization_id=org_b.id, **kw) == "not_found"
    assert organizations.membership_role(db=db, user_id=victim.id, organization_id=org_b.id) is None
    assert [o.id for o, _ in organizations.list_memberships(db=db, user_id=alice.id)] == [org_a.id]
