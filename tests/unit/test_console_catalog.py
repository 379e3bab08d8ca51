"""The event builder's services: guard rules per session, matrix edits, re-ordering,
unpublishing, cover images."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models import Event, TicketType
from ticketing.services import catalog
from ticketing.services.catalog import console_catalog, event_media
from ticketing.services.sales import holds, orders


@pytest.fixture
def ws():
    with session_scope() as db:
        w = make_workshop(db)
        w.extra["buyer"] = make_buyers(db, 1)[0].id
    return w


def view(ws, now=T0):
    return in_tx(console_catalog.builder_view, user_id=ws.owner_id, event_id=ws.event_id, now=now)


def test_sessions_show_why_they_cannot_be_deleted(ws):
    b = view(ws)
    assert [r.delete_blocker for r in b.sessions] == ["", "", ""]
    in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=ws.extra["buyer"], items=[(ws.weekend, 2)], now=T0)
    b = view(ws)
    blockers = {r.session.id: r.delete_blocker for r in b.sessions}
    assert blockers[ws.day1] == ""
    assert blockers[ws.day2] == blockers[ws.day3] == "2 places are sold or reserved"
    # The guard the message announces is the one the service enforces.
    call = dict(user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    assert error_of(catalog.delete_session, session_id=ws.day2, **call).code == "session_has_tickets"
    assert error_of(catalog.update_session, session_id=ws.day2, capacity=1, **call).code == "capacity_below_taken"
    in_tx(catalog.update_session, session_id=ws.day2, capacity=2, **call)  # down to exactly what is taken


def test_an_expired_order_still_blocks_deleting_its_sessions(ws):
    buyer = ws.extra["buyer"]
    h = in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=buyer, items=[(ws.day1_pass, 1)], now=T0)
    in_tx(orders.checkout, hold_id=h.id, user_id=buyer, attendees=None, now=T0)
    later = T0.replace(year=2031)
    rows = {r.session.id: r for r in view(ws, now=later).sessions}
    assert rows[ws.day1].used.taken == 0
    assert rows[ws.day1].delete_blocker == "tickets including it were ordered"
    assert ws.day1_pass in view(ws, now=later).ordered_types


def test_matrix_edits_change_inclusions_and_the_bottleneck(ws):
    call = dict(user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    b = view(ws)
    weekend = next(t for t in b.availability.ticket_types if t.id == ws.weekend)
    assert weekend.bottleneck_session_id == ws.day3  # 18 places vs 20
    # Tick Day 1 into the weekend combo: three sessions now, Day 3 still the tightest.
    in_tx(catalog.update_ticket_type, ticket_type_id=ws.weekend, session_ids=[ws.day1, ws.day2, ws.day3], **call)
    b = view(ws)
    assert set(b.sessions_of[ws.weekend]) == {ws.day1, ws.day2, ws.day3}
    # Untick Day 3: the bottleneck moves to the earliest of the equal sessions.
    in_tx(catalog.update_ticket_type, ticket_type_id=ws.weekend, session_ids=[ws.day1, ws.day2], **call)
    weekend = next(t for t in view(ws).availability.ticket_types if t.id == ws.weekend)
    assert weekend.bottleneck_session_id == ws.day1 and weekend.available == 5  # the quota binds first
    # Unticking the last session is refused in place.
    assert error_of(catalog.update_ticket_type, ticket_type_id=ws.weekend, session_ids=[], **call).code == "no_sessions"
    # Row fields: quota, window, limits, active.
    in_tx(catalog.update_ticket_type, ticket_type_id=ws.weekend, max_quantity=None, min_per_order=2,
          max_per_order=4, is_active=False, price="95.50", **call)
    t = load(TicketType, ws.weekend)
    assert (t.max_quantity, t.min_per_order, t.max_per_order, t.is_active, t.price_minor) == (None, 2, 4, False, 9550)
    bad = error_of(catalog.update_ticket_type, ticket_type_id=ws.weekend, min_per_order=5, max_per_order=4, **call)
    assert bad.code == "invalid_per_order_limits" and bad.extra["field"] == "max_per_order"


def test_inclusions_are_fixed_once_a_type_was_ordered(ws):
    buyer = ws.extra["buyer"]
    in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=buyer, items=[(ws.day1_pass, 1)], now=T0)
    err = error_of(catalog.update_ticket_type, user_id=ws.owner_id, event_id=ws.event_id, now=T0,
                   ticket_type_id=ws.day1_pass, session_ids=[ws.day1, ws.day2])
    assert err.code == "ticket_type_has_sales"


def test_moving_ticket_types_renumbers_the_list(ws):
    call = dict(user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    in_tx(console_catalog.move_ticket_type, ticket_type_id=ws.weekend, offset=-1, **call)
    assert [t.id for t in view(ws).ticket_types] == [ws.series, ws.day1_pass, ws.day2_pass, ws.weekend, ws.day3_pass]
    in_tx(console_catalog.move_ticket_type, ticket_type_id=ws.series, offset=-1, **call)  # already first
    assert [t.sort_order for t in view(ws).ticket_types] == [0, 1, 2, 3, 4]
    assert error_of(console_catalog.move_ticket_type, ticket_type_id=ws.series, offset=3, **call).code == "invalid_offset"


def test_unpublish_hides_a_draft_until_someone_ordered(ws):
    call = dict(user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    in_tx(catalog.unpublish_event, **call)
    assert load(Event, ws.event_id).status == "draft"
    assert error_of(catalog.get_event, event_id=ws.event_id, user_id=ws.extra["buyer"]).code == "not_found"
    assert in_tx(catalog.get_event, event_id=ws.event_id, user_id=ws.owner_id).event.status == "draft"
    in_tx(catalog.publish_event, **call)
    buyer = ws.extra["buyer"]
    h = in_tx(holds.hold_tickets, event_id=ws.event_id, user_id=buyer, items=[(ws.day1_pass, 1)], now=T0)
    in_tx(orders.checkout, hold_id=h.id, user_id=buyer, attendees=None, now=T0)
    assert error_of(catalog.unpublish_event, **call).code == "event_has_orders"
    in_tx(catalog.cancel_event, **call)
    assert error_of(catalog.unpublish_event, **call).code == "event_cancelled"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_cover_images_are_checked_and_stored(ws, tmp_path: Path):
    call = dict(user_id=ws.owner_id, event_id=ws.event_id, now=T0, storage_dir=tmp_path)
    event = in_tx(event_media.set_cover_image, data=PNG, **call)
    assert event.cover_image.endswith(".png") and (tmp_path / event.cover_image).read_bytes() == PNG
    assert error_of(event_media.set_cover_image, data=b"<svg onload=alert(1)>", **call).code == "invalid_image"
    assert error_of(event_media.set_cover_image, data=b"", **call).code == "invalid_image"
    big = b"\xff\xd8\xff" + b"\x00" * event_media.MAX_COVER_BYTES
    assert error_of(event_media.set_cover_image, data=big, **call).code == "invalid_image"
    with session_scope() as db:
        stranger = make_buyers(db, 1)[0]
    assert error_of(event_media.set_cover_image, data=PNG, **{**call, "user_id": stranger.id}).code == "not_found"
    in_tx(event_media.remove_cover_image, user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    assert load(Event, ws.event_id).cover_image == ""


def test_strangers_and_door_staff_cannot_use_the_builder(ws):
    from ticketing.models import Role
    from ticketing.services.accounts import organizations

    with session_scope() as db:
        door, stranger = make_buyers(db, 2)
        organizations.add_member(db=db, user_id=ws.owner_id, organization_id=ws.org_id, email=door.email,
                                 role=Role.door.value, now=T0)
    for user, code in ((door.id, "forbidden"), (stranger.id, "not_found")):
        assert error_of(console_catalog.builder_view, user_id=user, event_id=ws.event_id, now=T0).code == code
        assert error_of(console_catalog.move_ticket_type, user_id=user, event_id=ws.event_id,
                        ticket_type_id=ws.series, offset=1, now=T0).code == code
        assert error_of(catalog.unpublish_event, user_id=user, event_id=ws.event_id, now=T0).code == code
