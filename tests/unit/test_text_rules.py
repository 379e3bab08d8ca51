"""Issue 16: text with control characters or a lone surrogate is refused by the services (422
`invalid_text`, nothing stored) whoever calls them, a page's handler as much as the API."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, make_workshop
from ticketing.db import insert_rows, session_scope
from ticketing.models import Event, Organization, User
from ticketing.services import catalog
from ticketing.services.accounts import accounts, organizations
from ticketing.services.errors import ServiceError
from ticketing.services.text_rules import BAD_TEXT, check_text

BAD = ["nul\x00byte", "bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85c1", "lone \ud800 surrogate"]


@pytest.mark.parametrize("value", BAD)
def test_control_characters_and_lone_surrogates_are_bad_text(value):
    assert BAD_TEXT.search(value)


@pytest.mark.parametrize("value", ["Ana", "two\nlines\r\n", "tab\tstop", "Zoë 🎟️", "日本語"])
def test_ordinary_text_passes(value):
    assert check_text(value, field="name") == value


@pytest.mark.parametrize("value", BAD)
def test_registration_refuses_a_bad_name_and_stores_nothing(value):
    email = f"bad-{uuid.uuid4().hex[:8]}@example.com"
    err = error_of(accounts.register_user, email=email, password="a long passphrase", name=value, now=T0)
    assert (err.code, err.status, err.extra.get("field")) == ("invalid_text", 422, "name")
    with session_scope(readonly=True) as db:
        assert db.exec(select(User).where(User.email == email)).first() is None


def test_a_changed_title_with_a_nul_byte_is_refused_with_the_fields_name():
    with session_scope() as db:
        w = make_workshop(db)
    err = error_of(catalog.update_event, user_id=w.owner_id, event_id=w.event_id, title="Hi\x00jack", now=T0)
    assert err.code == "invalid_text" and err.extra["field"] == "title" and "title" in err.message.lower()
    with session_scope(readonly=True) as db:
        assert db.get(Event, w.event_id).title == "Rope Workshop"


def test_every_write_is_checked_at_flush_even_without_a_service_rule():
    """The flush check catches text no service rule looked at: a new organization's name, and
    a changed row."""
    with session_scope() as db:
        w = make_workshop(db)
    slug = f"esc-{uuid.uuid4().hex[:8]}"
    err = error_of(organizations.create_organization, user_id=w.owner_id, name="Acme\x1b[2J", slug=slug, now=T0)
    assert err.code == "invalid_text" and err.extra["field"] == "name"
    with pytest.raises(ServiceError) as changed, session_scope() as db:
        db.get(Organization, w.org_id).name = "Acme\x00"
    assert changed.value.code == "invalid_text"
    with session_scope(readonly=True) as db:
        assert db.exec(select(Organization).where(Organization.slug == slug)).first() is None
        assert db.get(Organization, w.org_id).name != "Acme\x00"


def test_bulk_inserts_past_the_orm_are_checked_too():
    with session_scope() as db:
        row = {"id": uuid.uuid4(), "name": "x\x00", "slug": f"bulk-{uuid.uuid4().hex[:8]}", "created_at": T0}
        with pytest.raises(ServiceError) as caught:
            insert_rows(db, [(Organization, [row])])
    assert caught.value.code == "invalid_text"
