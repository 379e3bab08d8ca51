"""Recurring schedules: weekday rules, previews, idempotent runs, room clashes, overrides,
and calling off one date (holders refunded and told)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_event, make_ticket_type
from tests.factories import make_org
from ticketing.db import session_scope
from ticketing.models import Event, EventSession, Order, Role, Ticket, TicketType, TicketTypeSession
from ticketing.notifications.console_mail import cancellation_messages
from ticketing.services.accounts import organizations
from ticketing.services.errors import ServiceError
from ticketing.services.sales import holds, orders
from ticketing.services.sales.availability import event_availability
from ticketing.services.sales.ticket_holders import Attendee
from ticketing.services.scheduling import occurrences, schedules
from ticketing.services.scheduling.schedule_rules import clean_rule, occurrence_dates

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2030, 3, 4)  # T0 is Friday 1 March 2030


def rule(**over):
    base = dict(name="Morning Yoga", weekdays="1234567", start_time="07:00", end_time="08:00",
                starts_on=MONDAY.isoformat(), ends_on=(MONDAY + timedelta(days=29)).isoformat(),
                capacity=12, price="12.00", currency="EUR")
    return {**base, **over}


@dataclass
class Studio:
    owner: object
    org_id: object
    event_id: object
    other_event_id: object
    room: object
    room_b: object


@pytest.fixture
def studio():
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Owner")[0]
        org = make_org(db, owner=owner, now=T0)
        event = make_event(db, org=org, title="Yoga", timezone="Europe/Berlin")
        other = make_event(db, org=org, title="Pilates", timezone="Europe/Berlin")
        room = schedules.create_room(db=db, user_id=owner.id, organization_id=org.id, name="Studio A", now=T0)
        room_b = schedules.create_room(db=db, user_id=owner.id, organization_id=org.id, name="Studio B", now=T0)
        return Studio(owner.id, org.id, event.id, other.id, room.id, room_b.id)


def create(st, event_id=None, now=T0, room_id="default", **over):
    return in_tx(schedules.create_schedule, user_id=st.owner, event_id=event_id or st.event_id, now=now,
                 room_id=st.room if room_id == "default" else room_id, **rule(**over))


def sessions_of(event_id):
    with session_scope(readonly=True) as db:
        return list(db.exec(select(EventSession).where(EventSession.event_id == event_id)
                            .order_by(EventSession.starts_at)).all())


# --- rules --------------------------------------------------------------------------------

def test_weekday_rules_pick_the_named_iso_weekdays():
    r = clean_rule(**rule(weekdays=[1, 3, 5], ends_on=(MONDAY + timedelta(days=13)).isoformat()))
    days = occurrence_dates(r)
    assert [d.isoweekday() for d in days] == [1, 3, 5, 1, 3, 5]
    assert days[0] == MONDAY and days[-1] == MONDAY + timedelta(days=11)
    assert r.weekday_text == "Mon, Wed, Fri"
    assert len(occurrence_dates(clean_rule(**rule()))) == 30  # daily for 30 days
    assert clean_rule(**rule(weekdays="12345")).weekday_text == "Weekdays"
    assert occurrence_dates(clean_rule(**rule(weekdays="7", ends_on=MONDAY.isoformat()))) == []


@pytest.mark.parametrize("over, code", [
    ({"weekdays": ""}, "invalid_weekdays"),
    ({"weekdays": "8"}, "invalid_weekdays"),
    ({"start_time": "25:00"}, "invalid_time"),
    ({"end_time": "07:00"}, "invalid_times"),
    ({"ends_on": "2030-03-01"}, "invalid_date_range"),
    ({"ends_on": "2031-03-05"}, "invalid_date_range"),
    ({"capacity": "0"}, "invalid_capacity"),
    ({"price": "-1"}, "negative_price"),
    ({"price": "1.234"}, "invalid_price"),
    ({"currency": "XXX"}, "invalid_currency"),
    ({"name": " "}, "invalid_name"),
])
def test_bad_rules_are_refused_with_the_field_code(over, code):
    with pytest.raises(ServiceError) as info:
        clean_rule(**rule(**over))
    assert info.value.code == code


# --- generation ---------------------------------------------------------------------------

def test_a_month_of_daily_classes_makes_one_session_and_drop_in_per_date(studio):
    preview = in_tx(schedules.preview_schedule, user_id=studio.owner, event_id=studio.event_id, now=T0,
                    room_id=studio.room, **rule())
    assert preview.count("new") == 30 and sessions_of(studio.event_id) == []  # a preview writes nothing

    run = create(studio)
    assert (run.created, run.skipped) == (30, 0)
    sessions = sessions_of(studio.event_id)
    assert len(sessions) == 30 and all(s.capacity == 12 for s in sessions)
    first = sessions[0]
    assert first.name == "Morning Yoga – Mon 4 Mar 2030"
    assert first.starts_at.astimezone(BERLIN).time() == time(7, 0)
    # Clocks go forward on 31 March: the class stays at 07:00 local time.
    after_dst = [s for s in sessions if s.starts_at.astimezone(BERLIN).date() == date(2030, 4, 1)][0]
    assert after_dst.starts_at.astimezone(BERLIN).time() == time(7, 0)
    assert after_dst.starts_at.astimezone(timezone.utc).hour == 5  # CEST: UTC+2
    with session_scope(readonly=True) as db:
        types = db.exec(select(TicketType).where(TicketType.event_id == studio.event_id)).all()
        links = db.exec(select(TicketTypeSession).where(TicketTypeSession.ticket_type_id.in_([t.id for t in types]))).all()
    assert len(types) == 30 and {t.price_minor for t in types} == {1200}
    assert len(links) == 30 and len({link.session_id for link in links}) == 30  # one date each


def test_running_a_rule_again_never_duplicates_a_date(studio):
    first = create(studio, ends_on=(MONDAY + timedelta(days=6)).isoformat())
    assert first.created == 7
    again = in_tx(schedules.run_schedule, user_id=studio.owner, event_id=studio.event_id,
                  schedule_id=first.schedule.id, now=T0)
    assert (again.created, again.skipped) == (0, 7)
    longer = in_tx(schedules.run_schedule, user_id=studio.owner, event_id=studio.event_id,
                   schedule_id=first.schedule.id, now=T0, ends_on=(MONDAY + timedelta(days=13)).isoformat())
    assert (longer.created, longer.skipped) == (7, 7)
    assert len(sessions_of(studio.event_id)) == 14
    # A second schedule of the same name is refused rather than doubled.
    assert error_of(schedules.create_schedule, user_id=studio.owner, event_id=studio.event_id, now=T0,
                    room_id=studio.room, **rule()).code == "duplicate_name"


def test_past_dates_are_skipped(studio):
    now = datetime.combine(MONDAY + timedelta(days=2), time(12, 0), tzinfo=BERLIN)
    run = create(studio, now=now, ends_on=(MONDAY + timedelta(days=6)).isoformat())
    assert (run.created, run.skipped) == (4, 3)  # Mon-Wed have passed


def test_a_room_cannot_hold_two_schedules_at_overlapping_times(studio):
    create(studio)
    # Pilates in the same room, 07:30-08:30 on weekdays: clashes, in another event too.
    error = error_of(schedules.create_schedule, user_id=studio.owner, event_id=studio.other_event_id, now=T0,
                     room_id=studio.room, **rule(name="Pilates", weekdays="12345", start_time="07:30",
                                                 end_time="08:30"))
    assert error.code == "room_double_booked" and len(error.extra["dates"]) == 22
    assert sessions_of(studio.other_event_id) == []  # all or nothing
    preview = in_tx(schedules.preview_schedule, user_id=studio.owner, event_id=studio.other_event_id, now=T0,
                    room_id=studio.room, **rule(name="Pilates", start_time="07:30", end_time="08:30"))
    assert preview.count("clash") == 30 and "Morning Yoga" in preview.lines[0].note
    # Back to back is fine; so is another room at the same time.
    assert create(studio, event_id=studio.other_event_id, name="Pilates", start_time="08:00",
                  end_time="09:00").created == 30
    assert create(studio, event_id=studio.other_event_id, name="Zumba", room_id=studio.room_b).created == 30


def test_roles_and_tenants_are_checked(studio):
    with session_scope() as db:
        door, stranger = make_buyers(db, 2)
        organizations.add_member(db=db, user_id=studio.owner, organization_id=studio.org_id, email=door.email,
                                 role=Role.door.value, now=T0)
    assert error_of(schedules.create_schedule, user_id=door.id, event_id=studio.event_id, now=T0,
                    **rule()).code == "forbidden"
    assert error_of(schedules.preview_schedule, user_id=stranger.id, event_id=studio.event_id, now=T0,
                    **rule()).code == "not_found"
    with session_scope() as db:
        other_owner = make_buyers(db, 1)[0]
        foreign_room = schedules.create_room(db=db, user_id=other_owner.id,
                                             organization_id=make_org(db, owner=other_owner, now=T0).id,
                                             name="Hall", now=T0)
    assert error_of(schedules.create_schedule, user_id=studio.owner, event_id=studio.event_id, now=T0,
                    room_id=foreign_room.id, **rule()).code == "not_found"


# --- one date -----------------------------------------------------------------------------

def _occurrence_rows(studio, schedule_id):
    return in_tx(occurrences.list_occurrences, user_id=studio.owner, event_id=studio.event_id,
                 schedule_id=schedule_id, now=T0)


def _buy(event_id, user_id, ticket_type_id, qty=1, attendees=None):
    h = in_tx(holds.hold_tickets, event_id=event_id, user_id=user_id, items=[(ticket_type_id, qty)], now=T0)
    order = in_tx(orders.checkout, hold_id=h.id, user_id=user_id, attendees=attendees, now=T0)
    return in_tx(orders.confirm_order, order_id=order.id, now=T0, payment_reference="pi_test")


def test_calling_off_one_date_refunds_its_holders_and_tells_them(studio):
    run = create(studio, ends_on=(MONDAY + timedelta(days=2)).isoformat())
    rows = _occurrence_rows(studio, run.schedule.id)
    monday, tuesday = rows[0], rows[1]
    with session_scope() as db:
        ana, ben = make_buyers(db, 2)
        # A two-class pass (Monday + Tuesday) made in the matrix: it outlives Monday.
        both = make_ticket_type(db, event=db.get(Event, studio.event_id), name="Two classes", price_minor=2000,
                                sessions=[db.get(EventSession, r.session.id) for r in (monday, tuesday)])
    paid = _buy(studio.event_id, ana.id, monday.ticket_type.id, 2,
                attendees=[Attendee("Ana", ana.email), Attendee("Cleo", "cleo@example.com")])
    pass_order = _buy(studio.event_id, ben.id, both.id)

    done = in_tx(occurrences.cancel_occurrence, user_id=studio.owner, event_id=studio.event_id,
                 occurrence_id=monday.occurrence.id, now=T0)
    assert (done.tickets_cancelled, done.refund_minor, done.currency) == (2, 2400, "EUR")
    assert load(Order, paid.id).status == "cancelled"
    assert load(Order, pass_order.id).status == "confirmed"  # the pass keeps Tuesday
    assert {a.holder_email for a in done.affected if not a.cancelled} == {ben.email}
    assert load(EventSession, monday.session.id).status == "cancelled"
    assert load(TicketType, monday.ticket_type.id).is_active is False
    assert load(TicketType, both.id).is_active is True
    with session_scope(readonly=True) as db:
        avail = event_availability(db=db, event_id=studio.event_id, now=T0)
    monday_avail = next(s for s in avail.sessions if s.id == monday.session.id)
    # Ana's two places went back; the pass still counts; a called-off date offers none.
    assert (monday_avail.sold, monday_avail.available) == (1, 0)
    assert next(s for s in avail.sessions if s.id == tuesday.session.id).sold == 1

    messages = cancellation_messages(done)
    assert {m["To"] for m in messages} == {ana.email, "cleo@example.com", ben.email}
    cleo = next(m for m in messages if m["To"] == "cleo@example.com").get_content()
    assert "called off" in cleo and "refunded in full" in cleo
    assert "stays valid" in next(m for m in messages if m["To"] == ben.email).get_content()

    # Calling it off again changes nothing and a re-run does not bring the date back.
    again = in_tx(occurrences.cancel_occurrence, user_id=studio.owner, event_id=studio.event_id,
                  occurrence_id=monday.occurrence.id, now=T0)
    assert again.tickets_cancelled == 0
    assert in_tx(schedules.run_schedule, user_id=studio.owner, event_id=studio.event_id,
                 schedule_id=run.schedule.id, now=T0).created == 0
    with session_scope(readonly=True) as db:
        assert db.exec(select(Ticket).where(Ticket.order_id == paid.id, Ticket.status != "cancelled")).all() == []


def test_a_called_off_date_frees_the_room(studio):
    run = create(studio, ends_on=MONDAY.isoformat())
    (only,) = _occurrence_rows(studio, run.schedule.id)
    in_tx(occurrences.cancel_occurrence, user_id=studio.owner, event_id=studio.event_id,
          occurrence_id=only.occurrence.id, now=T0)
    assert create(studio, event_id=studio.other_event_id, name="Pilates", ends_on=MONDAY.isoformat()).created == 1


def test_overriding_one_date(studio):
    run = create(studio, ends_on=(MONDAY + timedelta(days=1)).isoformat())
    create(studio, event_id=studio.other_event_id, name="Pilates", start_time="09:00", end_time="10:00",
           ends_on=(MONDAY + timedelta(days=1)).isoformat())
    monday = _occurrence_rows(studio, run.schedule.id)[0]
    with session_scope() as db:
        buyers = make_buyers(db, 1)
    _buy(studio.event_id, buyers[0].id, monday.ticket_type.id, 3)

    changed = in_tx(occurrences.override_occurrence, user_id=studio.owner, event_id=studio.event_id,
                    occurrence_id=monday.occurrence.id, now=T0, capacity=20, price="15.00", start_time="06:30")
    assert changed.session.capacity == 20 and changed.ticket_type.price_minor == 1500
    assert changed.session.starts_at.astimezone(BERLIN).time() == time(6, 30)
    assert changed.occurrence.overridden and changed.available == 17
    tuesday = _occurrence_rows(studio, run.schedule.id)[1]
    assert tuesday.session.capacity == 12 and not tuesday.occurrence.overridden  # only that date

    call = dict(user_id=studio.owner, event_id=studio.event_id, occurrence_id=monday.occurrence.id, now=T0)
    assert error_of(occurrences.override_occurrence, **call, capacity=2).code == "capacity_below_taken"
    clash = error_of(occurrences.override_occurrence, **call, start_time="08:30", end_time="09:30")
    assert clash.code == "room_double_booked" and "Pilates" in clash.message
