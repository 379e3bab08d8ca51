"""Journey: the organizer's event list filters drafts, events on sale, past and cancelled ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.builders import make_buyers, make_event, make_session
from tests.e2e.conftest import sign_in_as, snapshot
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token

pytestmark = pytest.mark.e2e


def test_orgs_lists_events_by_phase(page: Page, viewport: str):
    now = utcnow()
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Owner")[0]
        org = make_org(db, owner=owner)
        for title, status, days in (("Spring draft", "draft", 30), ("Summer fair", "published", 60),
                                    ("Winter gala", "published", -40), ("Called-off gig", "cancelled", 10)):
            e = make_event(db, org=org, title=title, status=status)
            make_session(db, event=e, name="Main", capacity=10, starts_at=now + timedelta(days=days))
        token = issue_token(user_id=owner.id, token_version=owner.token_version, now=now)
    sign_in_as(page, token)
    page.goto("/orgs")
    rows = page.locator("#org-events .org-event")
    expect(rows).to_have_count(4)
    expect(page.locator("#filter-all")).to_contain_text("4")
    for key, title in (("draft", "Spring draft"), ("on_sale", "Summer fair"), ("past", "Winter gala"),
                       ("cancelled", "Called-off gig")):
        page.locator(f"#filter-{key}").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(title)
        expect(page.locator(f"#filter-{key}")).to_have_attribute("aria-pressed", "true")
    snapshot(page, f"orgs-filter-{viewport}")
    page.locator("#filter-all").click()
    expect(rows).to_have_count(4)
