"""Journey: an event page worth sharing. The page shows the cover, the organizer and a map link,
the tab is titled with the event, and the HTML a chat app fetches for a link carries the event's
title, description and cover (Open Graph, Twitter). The home page shows covers and "Few left" /
"Sold out" badges."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import httpx
import pytest
import reflex as rx
import segno
from playwright.sync_api import Page, expect

from tests.builders import make_buyers, make_event, make_session, make_ticket_type
from tests.e2e.conftest import snapshot
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.catalog import event_media

pytestmark = pytest.mark.e2e


def _png() -> bytes:
    out = io.BytesIO()
    segno.make("cover", micro=False).save(out, kind="png", scale=20, border=2, dark="#4338ca", light="#e0e7ff")
    return out.getvalue()


@pytest.fixture
def events() -> dict:
    tag = uuid.uuid4().hex[:5]
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Organizer")[0]
        org = make_org(db, owner=owner)
        org_name = org.name
        start = utcnow() + timedelta(days=9)
        few = make_event(db, org=org, title=f"Harbour Lights {tag}", location="Speicherstadt, Hamburg",
                         description="Lanterns on the water and a brass band on the quay. " * 8, category="Festival")
        s = make_session(db, event=few, name="Evening", capacity=5, starts_at=start)
        make_ticket_type(db, event=few, name="Entry", sessions=[s], price_minor=1500)
        gone = make_event(db, org=org, title=f"Harbour Choir {tag}", location="St. Michaelis", category="Concert")
        g = make_session(db, event=gone, name="Evening", capacity=0, starts_at=start)
        make_ticket_type(db, event=gone, name="Entry", sessions=[g], price_minor=1500)
        few_id, gone_id, owner_id = few.id, gone.id, owner.id
    with session_scope() as db:
        event_media.set_cover_image(db=db, user_id=owner_id, event_id=few_id, data=_png(),
                                    storage_dir=rx.get_upload_dir(), now=utcnow())
    return {"tag": tag, "few": str(few_id), "gone": str(gone_id), "org": org_name}


def test_event_page_preview_and_home_badges(page: Page, viewport: str, app_url: str, events: dict):
    page.goto(f"/events/{events['few']}")
    expect(page.locator("#event-title")).to_have_text(f"Harbour Lights {events['tag']}")
    expect(page.locator("#event-cover")).to_be_visible()
    expect(page.locator("#event-organizer")).to_contain_text(events["org"])
    expect(page.locator("#map-link")).to_have_attribute("href", "https://www.openstreetmap.org/search?query="
                                                                "Speicherstadt%2C%20Hamburg")
    expect(page).to_have_title(f"Harbour Lights {events['tag']} — Ticketing")
    snapshot(page, f"share-event-{viewport}")

    # What a chat app or search engine reads: the HTML itself, no JavaScript run.
    html = httpx.get(f"{app_url}/events/{events['few']}", timeout=15).text
    assert f'<meta property="og:title" content="Harbour Lights {events["tag"]}"/>' in html
    assert f"<title>Harbour Lights {events['tag']} — Ticketing</title>" in html
    assert '<meta property="og:image" content="' in html and "/_upload/" in html
    assert "Speicherstadt, Hamburg · by " in html and "summary_large_image" in html
    assert httpx.get(f"{app_url}/events/{uuid.uuid4()}", timeout=15).status_code == 200  # the page says "not available"

    page.goto("/")
    page.get_by_placeholder("Search by title or place").fill(events["tag"])
    cards = page.locator("#events-list .event-card")
    expect(cards).to_have_count(2)
    few = page.locator("#events-list a", has_text="Harbour Lights")
    expect(few.locator(".few-left-badge")).to_have_text("Few left")
    expect(few.locator("img.card-cover")).to_be_visible()
    expect(page.locator("#events-list a", has_text="Harbour Choir").locator(".sold-out-badge")).to_have_text(
        "Sold out")
    snapshot(page, f"share-home-{viewport}")
