"""Small rules behind the customer pages: link previews, home badges, the organizer's event
phases, names per ticket and short codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import T0, make_buyers, make_event, make_session, make_ticket_type, make_workshop
from tests.factories import make_org
from tests.seating_builders import make_seated_event
from ticketing.api.share import preview_tags
from ticketing.db import session_scope
from ticketing.models import Event
from ticketing.services.catalog import discovery
from ticketing.services.catalog.catalog_events import list_events_for_org
from ticketing.services.catalog.sharing import share_preview
from ticketing.services.door import short_codes
from ticketing.services.errors import ServiceError
from ticketing.services.sales.ticket_holders import Attendee, asks_names, holders_for
from ticketing.state.orgs import event_phase


def test_preview_tags_are_escaped_and_name_the_cover():
    tags = preview_tags(title='Rock & "Roll" <live>', description="A night", url="https://t.example/events/1",
                        image="https://t.example/_upload/c.png")
    assert "<title>Rock &amp; &quot;Roll&quot; &lt;live&gt; — Ticketing</title>" in tags
    assert '<meta property="og:image" content="https://t.example/_upload/c.png"/>' in tags
    assert 'content="summary_large_image"' in tags
    assert "og:image" not in preview_tags(title="T", description="", url="u", image="")


def test_share_preview_hides_drafts_and_shortens_the_description():
    with session_scope() as db:
        org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        live = make_event(db, org=org, title="Open", description="word " * 100)
        draft = make_event(db, org=org, title="Secret", status="draft")
        live_id, draft_id, org_name = live.id, draft.id, org.name
    with session_scope(readonly=True) as db:
        p = share_preview(db=db, event_id=live_id)
        assert (p.title, p.organizer) == ("Open", org_name) and len(p.description) <= 200
        with pytest.raises(ServiceError):
            share_preview(db=db, event_id=draft_id)


def test_home_badges_few_left_and_sold_out():
    with session_scope() as db:
        org = make_org(db, owner=make_buyers(db, 1)[0], now=T0)
        for title, capacity in (("Few", 4), ("Plenty", 300), ("Gone", 0)):
            e = make_event(db, org=org, title=title)
            s = make_session(db, event=e, name="Main", capacity=capacity)
            make_ticket_type(db, event=e, name="Entry", sessions=[s], price_minor=100)
    with session_scope(readonly=True) as db:
        found = {d.summary.event.title: d for d in discovery.discover_events(db=db, now=T0)}
    assert (found["Few"].few_left, found["Few"].sold_out) == (True, False)
    assert (found["Plenty"].few_left, found["Plenty"].sold_out) == (False, False)
    assert (found["Gone"].few_left, found["Gone"].sold_out) == (False, True)


def test_event_phases_for_the_organizer_list():
    with session_scope() as db:
        owner = make_buyers(db, 1)[0]
        org = make_org(db, owner=owner, now=T0)
        for title, status, days in (("d", "draft", 5), ("s", "published", 5), ("p", "published", -5),
                                    ("c", "cancelled", 5)):
            e = make_event(db, org=org, title=title, status=status)
            make_session(db, event=e, name="Main", capacity=5, starts_at=T0 + timedelta(days=days))
        summaries = list_events_for_org(db=db, user_id=owner.id, organization_id=org.id, now=T0)
    assert {s.event.title: event_phase(s, T0) for s in summaries} == {
        "d": "draft", "s": "on_sale", "p": "past", "c": "cancelled"}


def test_names_are_asked_for_several_sessions_or_seats_unless_the_event_says_otherwise():
    with session_scope() as db:
        ws = make_workshop(db)
        single = make_event(db, org=make_org(db, owner=make_buyers(db, 1)[0], now=T0), title="One night")
        make_session(db, event=single, name="Main", capacity=5)
        single_id = single.id
    seated = None
    with session_scope() as db:
        seated = make_seated_event(db).event_id
    with session_scope() as db:
        events = {k: db.get(Event, i) for k, i in (("ws", ws.event_id), ("single", single_id), ("seated", seated))}
        assert (asks_names(db, events["ws"]), asks_names(db, events["single"]), asks_names(db, events["seated"])) \
            == (True, False, True)
        events["single"].attendee_names = "on"
        events["ws"].attendee_names = "off"
        assert (asks_names(db, events["single"]), asks_names(db, events["ws"])) == (True, False)


def test_an_attendee_without_an_email_gets_the_buyers():
    buyer = ("Casey", "casey@example.com")
    assert holders_for([Attendee("Ann", ""), Attendee("Bo", "BO@example.com")], 2, buyer) == [
        ("Ann", "casey@example.com"), ("Bo", "bo@example.com")]
    with pytest.raises(ServiceError) as err:
        holders_for([Attendee("Ann", "not-an-email"), Attendee("Bo", "")], 2, buyer)
    assert err.value.code == "invalid_attendee"


def test_short_codes_read_as_people_type_them():
    code = short_codes.new_short_code()
    assert len(code) == 10 and set(code) <= set(short_codes.ALPHABET)
    assert not set("01OIL") & set(short_codes.ALPHABET)
    shown = short_codes.display(code)
    assert shown == f"{code[:5]}-{code[5:]}"
    assert short_codes.normalize(" " + shown.lower().replace("-", " ") + " ") == code
    assert short_codes.normalize("K7QMX-3PAR") is None  # nine characters
    assert short_codes.normalize("K7QMX-3PAR0") is None  # 0 is not in the alphabet
    assert short_codes.normalize("x" * 86) is None


def test_attendee_labels_name_each_tickets_seat_once():
    from ticketing.services.sales.order_views import ItemLine
    from ticketing.state.cart import attendee_labels

    lines = [ItemLine("Stalls", 2, 4500, [], ["Stalls · Row A · Seat 8", "Stalls · Row A · Seat 9"]),
             ItemLine("Premium", 1, 9000, [], ["Circle · Row A · Seat 1"]), ItemLine("Standing", 1, 1500, [])]
    assert attendee_labels(lines) == ["Ticket 1 — Stalls · Row A · Seat 8", "Ticket 2 — Stalls · Row A · Seat 9",
                                      "Ticket 3 — Premium, Circle · Row A · Seat 1", "Ticket 4 — Standing"]
