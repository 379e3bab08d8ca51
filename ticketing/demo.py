"""Demo data for the embedded default: an organizer, a door steward, a customer and four
published events (a 3-day workshop with series and day passes, a week of daily yoga classes,
a concert, a seated theatre performance, and an open evening running today with a dozen guests for
the door pages), and a ticket agency in broker mode (demo_broker.py). Safe to run again: it does nothing when the demo organization exists.

Run: python -m ticketing.demo
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from ticketing.db import session_scope
from ticketing.demo_broker import demo_agency
from ticketing.demo_seating import demo_theatre
from ticketing.models import Organization, User
from ticketing.models.base import utcnow
from ticketing.services import catalog
from ticketing.services.accounts import accounts, organizations
from ticketing.services.promotions import codes as promo_codes
from ticketing.services.promotions.codes import CodeTerms
from ticketing.services.sales import holds, orders, ticket_holders
from ticketing.settings import SettingsError, get_settings

DEMO_PASSWORD = "demo-password"
DEMO_SLUG = "demo-events"
TZ = "Europe/Berlin"


def _user(db: Session, email: str, name: str) -> User:
    existing = db.exec(select(User).where(User.email == email)).first()
    return existing or accounts.register_user(db=db, email=email, password=DEMO_PASSWORD, name=name, now=utcnow())


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=ZoneInfo(TZ))


def _workshop(db: Session, owner: User, org: Organization, start: datetime) -> None:
    now = utcnow()
    event = catalog.create_event(
        db=db, user_id=owner.id, organization_id=org.id, now=now, title="Rope Foundations: 3-Day Workshop",
        description="Three days from the basics to practice. Day 2 builds on Day 1.", location="Studio Nord, Berlin",
        category="Workshop", timezone=TZ, cancellation_deadline_hours=48,
    )
    days = []
    for i, (name, (h1, h2), cap) in enumerate(
        [("Day 1 - Foundations", (19, 22), 20), ("Day 2 - Advanced Techniques", (13, 17), 20),
         ("Day 3 - Practice & Integration", (10, 14), 18)]
    ):
        day = start + timedelta(days=i)
        prereq = [days[0].session.id] if i == 1 else []
        days.append(catalog.create_session(
            db=db, user_id=owner.id, event_id=event.id, name=name, starts_at=_at(day, h1), ends_at=_at(day, h2),
            capacity=cap, now=now, prerequisite_session_ids=prereq,
        ))
    ids = [d.session.id for d in days]
    for name, price, quota, sessions in [
        ("Full Series Pass - All 3 Days", "150.00", 15, ids),
        ("Day 1 Only - Foundations", "60.00", 10, ids[:1]),
        ("Day 3 Only - Practice & Integration", "60.00", 8, ids[2:]),
        ("Weekend Combo - Days 2 & 3", "100.00", 5, ids[1:]),
    ]:
        catalog.create_ticket_type(db=db, user_id=owner.id, event_id=event.id, name=name, price=price,
                                   currency="EUR", session_ids=sessions, max_quantity=quota, now=now)
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=now)


def _yoga(db: Session, owner: User, org: Organization, start: datetime) -> None:
    now = utcnow()
    event = catalog.create_event(
        db=db, user_id=owner.id, organization_id=org.id, now=now, title="Morning Yoga — Daily Class",
        description="An hour of gentle flow every morning. Mats provided.", location="Park Pavilion, Berlin",
        category="Class", timezone=TZ, cancellation_deadline_hours=12,
    )
    for i in range(7):
        day = start + timedelta(days=i)
        s = catalog.create_session(db=db, user_id=owner.id, event_id=event.id, name=f"{day:%a %d %b}",
                                   starts_at=_at(day, 7), ends_at=_at(day, 8), capacity=12, now=now)
        catalog.create_ticket_type(db=db, user_id=owner.id, event_id=event.id, name=f"Drop-in {day:%a %d %b}",
                                   price="14.00", currency="EUR", session_ids=[s.session.id], now=now)
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=now)


def _concert(db: Session, owner: User, org: Organization, start: datetime) -> None:
    now = utcnow()
    event = catalog.create_event(
        db=db, user_id=owner.id, organization_id=org.id, now=now, title="Night Strings — Live in Concert",
        description="A string quartet plays Ravel and Debussy.", location="Kesselhaus, Berlin",
        category="Concert", timezone=TZ, max_tickets_per_order=8,
    )
    show = catalog.create_session(db=db, user_id=owner.id, event_id=event.id, name="Concert",
                                  starts_at=_at(start, 20), ends_at=_at(start, 22), capacity=300, now=now)
    for name, price in [("Standard", "35.00"), ("Reduced (students)", "22.00")]:
        catalog.create_ticket_type(db=db, user_id=owner.id, event_id=event.id, name=name, price=price,
                                   currency="EUR", session_ids=[show.session.id], now=now)
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=now)
    # A promo code to try: /events/<id>?code=STRINGS20
    promo_codes.create_code(db=db, user_id=owner.id, event_id=event.id, now=now,
                            terms=CodeTerms(code="STRINGS20", kind="percent", value=20, max_uses=100))


def _tonight(db: Session, owner: User, org: Organization, customer: User) -> None:
    """An event running today with a dozen paid guests, so the door pages have tickets to scan."""
    now = utcnow()
    local_now = datetime.now(ZoneInfo(TZ))
    event = catalog.create_event(
        db=db, user_id=owner.id, organization_id=org.id, now=now, title="Open Studio Evening",
        description="Drop in, meet the artists, see work in progress.", location="Studio Nord, Berlin",
        category="Open house", timezone=TZ,
    )
    session = catalog.create_session(db=db, user_id=owner.id, event_id=event.id, name="Tonight",
                                     starts_at=local_now - timedelta(minutes=30),
                                     ends_at=local_now + timedelta(hours=4), capacity=80, now=now)
    entry = catalog.create_ticket_type(db=db, user_id=owner.id, event_id=event.id, name="Free entry", price="0.00",
                                       currency="EUR", session_ids=[session.session.id], now=now)
    catalog.publish_event(db=db, user_id=owner.id, event_id=event.id, now=now)
    guests = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Margaret Hamilton",
              "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth", "Frances Allen", "Tim Berners-Lee",
              "Radia Perlman", "Ken Thompson"]
    for i in range(0, len(guests), 4):
        names = guests[i:i + 4]
        hold = holds.hold_tickets(db=db, event_id=event.id, user_id=customer.id,
                                  items=[(entry.ticket_type.id, len(names))], now=now)
        attendees = [ticket_holders.Attendee(name=n, email=f"{n.split()[0].lower()}@demo.test") for n in names]
        orders.checkout(db=db, hold_id=hold.id, user_id=customer.id, attendees=attendees, now=now)


def load_demo_data() -> bool:
    """Create the demo data; False when it was there already. Only in development: its accounts
    share a published password (SettingsError otherwise)."""
    if not get_settings().is_development:
        raise SettingsError("Demo data (accounts with a public password) is loaded only with TICKETING_ENV=development.")
    with session_scope() as db:
        if db.exec(select(Organization).where(Organization.slug == DEMO_SLUG)).first():
            return False
        owner = _user(db, "organizer@demo.test", "Olivia Organizer")
        door = _user(db, "door@demo.test", "Dario Door")
        customer = _user(db, "customer@demo.test", "Casey Customer")
        org = organizations.create_organization(db=db, user_id=owner.id, name="Demo Events", slug=DEMO_SLUG,
                                                now=utcnow())
        organizations.add_member(db=db, user_id=owner.id, organization_id=org.id, email=door.email, role="door",
                                 now=utcnow())
        start = datetime.now(ZoneInfo(TZ)) + timedelta(days=14)
        _workshop(db, owner, org, start)
        _yoga(db, owner, org, datetime.now(ZoneInfo(TZ)) + timedelta(days=1))
        _concert(db, owner, org, start + timedelta(days=7))
        demo_theatre(db, owner, org, _at(start + timedelta(days=3), 19, 30))
        _tonight(db, owner, org, customer)
        agent = _user(db, "agent@demo.test", "Ava Agent")
        demo_agency(db, agent=agent, customer=customer, start=_at(start + timedelta(days=5), 19, 30), tz=TZ)
    return True


if __name__ == "__main__":
    try:
        created = load_demo_data()
    except SettingsError as exc:
        raise SystemExit(str(exc)) from exc
    print("Demo data loaded." if created else "Demo data already present.")
