"""The map's status codes: computed in SQL for whole maps and in Python for single seats, the
same answer for every kind of seat, before and after claims expire."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from tests.builders import T0, in_tx, make_buyers
from tests.seating_builders import make_seated_event
from ticketing.db import session_scope
from ticketing.models import EventSeat, SeatedSession
from ticketing.services.sales import orders
from ticketing.services.seating import seat_map, seat_sales, seating
from ticketing.services.seating.seat_status import CODE_NAMES, seat_code


def test_sql_and_python_codes_agree_for_every_kind_of_seat():
    with session_scope() as db:
        se = make_seated_event(db, payment_minutes=30)
        a, b = (u.id for u in make_buyers(db, 2))

    def manage(action, idxs, **kw):
        in_tx(seating.manage_seats, user_id=se.owner_id, event_id=se.event_id, session_id=se.session_id,
              action=action, seat_idxs=idxs, now=T0, **kw)

    held = in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=a, idxs=[0, 1],
                 now=T0)
    bought = in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=b, idxs=[2, 3],
                   now=T0)
    order = in_tx(orders.checkout, hold_id=bought.hold.id, user_id=b, attendees=None, now=T0)
    manage("hold", [4], reason="press")
    manage("block", [5], reason="house")
    manage("disown", [6, 7])
    manage("return", [8])
    manage("block", [7], reason="artist")
    manage("hold", [9], reason="promoter")
    sold = in_tx(seat_sales.hold_seats, event_id=se.event_id, session_id=se.session_id, user_id=a, idxs=[10],
                 now=T0 + timedelta(hours=1))
    paid = in_tx(orders.checkout, hold_id=sold.hold.id, user_id=a, attendees=None, now=T0 + timedelta(hours=1))
    in_tx(orders.confirm_order, order_id=paid.id, now=T0 + timedelta(hours=1))
    del held, order
    seen = set()
    for now in (T0, T0 + timedelta(minutes=20), T0 + timedelta(hours=2)):
        with session_scope(readonly=True) as db:
            seated = db.get(SeatedSession, se.session_id)
            snapshot = seat_map.status_snapshot(db, seated=seated, now=now)["statuses"]
            python = {s.idx: seat_code(s, now) for s in db.exec(select(EventSeat)
                                                                 .where(EventSeat.session_id == se.session_id))}
        assert [int(c) for c in snapshot] == [python[i] for i in range(len(snapshot))]
        seen |= set(python.values())
    # Every code the map knows was exercised at least once.
    assert {CODE_NAMES[c] for c in seen} == set(CODE_NAMES)
