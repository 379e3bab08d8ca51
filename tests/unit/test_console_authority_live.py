"""Issue 8's last rule, checked across the console's services: every organizer action is checked
against the organization and role on the server (door staff: forbidden; other tenants: not
found; nothing changes), and every change publishes a live update after it commits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.models import Event, Order, Role
from ticketing.services import catalog
from ticketing.services.accounts import organizations
from ticketing.services.catalog import console_catalog, event_media
from ticketing.services.catalog.event_cancellation import cancel_event_with_orders
from ticketing.services.reporting import attendees, sales_report
from ticketing.services.sales import holds, orders, payments
from ticketing.services.scheduling import occurrences, schedules
from ticketing.services.scheduling.session_cancellation import cancel_session

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RULE = dict(name="Morning Yoga", weekdays="1234567", start_time="07:00", end_time="08:00", starts_on="2030-03-04",
            ends_on="2030-03-06", capacity=12, price="12.00", currency="EUR")


@pytest.fixture
def ws():
    """The workshop, published, with one paid order (a series pass) and a door steward."""
    with session_scope() as db:
        w = make_workshop(db)
        buyer, door, stranger = make_buyers(db, 3)
        organizations.add_member(db=db, user_id=w.owner_id, organization_id=w.org_id, email=door.email,
                                 role=Role.door.value, now=T0)
    in_tx(catalog.publish_event, user_id=w.owner_id, event_id=w.event_id, now=T0)
    hold = in_tx(holds.hold_tickets, event_id=w.event_id, user_id=buyer.id, items=[(w.series, 2)], now=T0)
    order = in_tx(orders.checkout, hold_id=hold.id, user_id=buyer.id, attendees=None, now=T0)
    intent = payments.IntentFacts(id="pi_console_1", order_id=order.id, status="succeeded",
                                  amount=order.total_minor, currency=order.currency)
    in_tx(payments.apply_intent, intent=intent, now=T0)
    with session_scope() as db:
        other = make_workshop(db)  # another organization's event
    w.extra.update(order=order, door=door.id, stranger=stranger.id, other=other)
    return w


def _ticket_ids(ws) -> list:
    listing = in_tx(attendees.list_attendees, user_id=ws.owner_id, event_id=ws.event_id, now=T0)
    return [r.ticket_id for r in listing.rows]


def _actions(ws, tmp_path: Path) -> dict[str, Callable[..., Any]]:
    """Every organizer use case of the console, as fn(user_id) on the workshop."""
    e, order = ws.event_id, ws.extra["order"]
    ticket_id = _ticket_ids(ws)[0]
    return {
        "builder_view": lambda u: in_tx(console_catalog.builder_view, user_id=u, event_id=e, now=T0),
        "update_event": lambda u: in_tx(catalog.update_event, user_id=u, event_id=e, now=T0, hold_minutes=20),
        "cover_image": lambda u: in_tx(event_media.set_cover_image, user_id=u, event_id=e, data=PNG,
                                       storage_dir=tmp_path, now=T0),
        "create_session": lambda u: in_tx(catalog.create_session, user_id=u, event_id=e, now=T0, name="Day 4",
                                          starts_at=T0.replace(year=2031), ends_at=T0.replace(year=2031, hour=23),
                                          capacity=5),
        "update_session": lambda u: in_tx(catalog.update_session, user_id=u, event_id=e, session_id=ws.day1,
                                          capacity=19, now=T0),
        "matrix_toggle": lambda u: in_tx(catalog.update_ticket_type, user_id=u, event_id=e,
                                         ticket_type_id=ws.weekend, session_ids=[ws.day1, ws.day2, ws.day3], now=T0),
        "move_type": lambda u: in_tx(console_catalog.move_ticket_type, user_id=u, event_id=e,
                                     ticket_type_id=ws.series, offset=1, now=T0),
        "create_schedule": lambda u: in_tx(schedules.create_schedule, user_id=u, event_id=e, now=T0, **RULE),
        "list_attendees": lambda u: in_tx(attendees.list_attendees, user_id=u, event_id=e, now=T0),
        "resend": lambda u: in_tx(attendees.tickets_to_resend, user_id=u, event_id=e, order_id=order.id),
        "cancel_ticket": lambda u: in_tx(attendees.cancel_ticket, user_id=u, event_id=e, ticket_id=ticket_id, now=T0),
        "cancel_order": lambda u: in_tx(attendees.cancel_whole_order, user_id=u, event_id=e, order_id=order.id,
                                        now=T0),
        "report": lambda u: in_tx(sales_report.event_report, user_id=u, event_id=e, now=T0),
        "call_off_session": lambda u: in_tx(cancel_session, user_id=u, event_id=e, session_id=ws.day3, now=T0),
        "unpublish": lambda u: in_tx(catalog.unpublish_event, user_id=u, event_id=e, now=T0),
        "cancel_event": lambda u: in_tx(cancel_event_with_orders, user_id=u, event_id=e, now=T0),
    }


def test_door_staff_and_strangers_are_refused_every_organizer_action_and_change_nothing(ws, tmp_path, bus):
    actions = _actions(ws, tmp_path)
    before = load(Event, ws.event_id).version
    other_owner = ws.extra["other"].owner_id  # an organizer, but of another organization
    for name, action in actions.items():
        for user, code in ((ws.extra["door"], "forbidden"), (ws.extra["stranger"], "not_found"),
                           (other_owner, "not_found")):
            with pytest.raises(Exception) as refused:
                action(user)
            assert getattr(refused.value, "code", None) == code, (name, user)
    assert load(Event, ws.event_id).version == before and bus.messages == []
    assert load(Order, ws.extra["order"].id).status == "confirmed"
    # Occurrences too (a schedule made by the owner; door staff and strangers may not touch its dates).
    run = in_tx(schedules.create_schedule, user_id=ws.owner_id, event_id=ws.event_id, now=T0, **RULE)
    rows = in_tx(occurrences.list_occurrences, user_id=ws.owner_id, event_id=ws.event_id,
                 schedule_id=run.schedule.id, now=T0)
    for user, code in ((ws.extra["door"], "forbidden"), (ws.extra["stranger"], "not_found")):
        assert error_of(occurrences.override_occurrence, user_id=user, event_id=ws.event_id,
                        occurrence_id=rows[0].occurrence.id, capacity=3, now=T0).code == code
        assert error_of(occurrences.cancel_occurrence, user_id=user, event_id=ws.event_id,
                        occurrence_id=rows[0].occurrence.id, now=T0).code == code
    # Another organization's owner cannot reach this event's dates through their own event either.
    assert error_of(occurrences.cancel_occurrence, user_id=other_owner, event_id=ws.extra["other"].event_id,
                    occurrence_id=rows[0].occurrence.id, now=T0).code == "not_found"


READS = {"builder_view", "list_attendees", "resend", "report"}
# Applied in this order (cancel_event last: it freezes the catalog).
CHANGES = ["update_event", "cover_image", "create_session", "update_session", "matrix_toggle", "move_type",
           "create_schedule", "cancel_ticket", "cancel_order", "call_off_session", "cancel_event"]


def test_every_organizer_change_publishes_a_live_update_after_commit(ws, tmp_path, bus):
    actions = _actions(ws, tmp_path)
    assert set(actions) == READS | set(CHANGES) | {"unpublish"}
    for name in READS:
        actions[name](ws.owner_id)
    assert bus.messages == []  # reading publishes nothing
    for name in CHANGES:
        seen, version = len(bus.messages), load(Event, ws.event_id).version
        actions[name](ws.owner_id)
        new = bus.messages[seen:]
        assert new, f"{name} published nothing"
        assert all(m["channel"] == str(ws.event_id) for m in new), name
        assert new[-1]["version"] == load(Event, ws.event_id).version > version, name
    # Occurrence changes of a schedule (on a fresh event, the workshop is cancelled now).
    with session_scope() as db:
        w2 = make_workshop(db)
    run = in_tx(schedules.create_schedule, user_id=w2.owner_id, event_id=w2.event_id, now=T0, **RULE)
    rows = in_tx(occurrences.list_occurrences, user_id=w2.owner_id, event_id=w2.event_id,
                 schedule_id=run.schedule.id, now=T0)
    for change in (
        lambda: in_tx(occurrences.override_occurrence, user_id=w2.owner_id, event_id=w2.event_id,
                      occurrence_id=rows[0].occurrence.id, capacity=3, now=T0),
        lambda: in_tx(occurrences.override_occurrence, user_id=w2.owner_id, event_id=w2.event_id,
                      occurrence_id=rows[0].occurrence.id, price="9.00", now=T0),
        lambda: in_tx(occurrences.cancel_occurrence, user_id=w2.owner_id, event_id=w2.event_id,
                      occurrence_id=rows[1].occurrence.id, now=T0),
    ):
        seen = len(bus.messages)
        change()
        assert bus.messages[seen:] and bus.messages[-1]["version"] == load(Event, w2.event_id).version
