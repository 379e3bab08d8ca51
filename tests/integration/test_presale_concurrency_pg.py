"""Real parallel transactions on PostgreSQL racing for a presale's access code and quota.

The buyers spread over many sessions, so that no session lock lines them up: only the
presale's own row lock stands between them and an eleventh use of a ten-use code, or a ticket
past the quota. A control takes the lock away and shows the race exists.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import func, select

from tests.builders import T0, in_tx, make_buyers, make_event, make_session, make_ticket_type
from tests.factories import make_org
from tests.integration import test_promo_concurrency_pg as promo_race
from ticketing.db import session_scope
from ticketing.models import Hold, Presale, PresaleUse
from ticketing.services.presales import access, setup
from ticketing.services.sales import holds

pytestmark = pytest.mark.postgres
ROOMS = promo_race.ROOMS


def build(*, buyers: int, max_uses: int, codes: int = 1, quota: int | None = None) -> dict:
    with session_scope() as db:
        owner = make_buyers(db, 1, name="Owner")[0]
        event = make_event(db, org=make_org(db, owner=owner, now=T0), title="Presale rush")
        types = [make_ticket_type(db, event=event, name=f"Room {i}", price_minor=2000,
                                  sessions=[make_session(db, event=event, name=f"Room {i}", capacity=1000)]).id
                 for i in range(ROOMS)]
        data = {"event_id": event.id, "types": types, "buyers": [u.id for u in make_buyers(db, buyers)]}
    presale = in_tx(setup.create_presale, user_id=owner.id, event_id=event.id, now=T0,
                    fields={"name": "Rush", "starts_at": T0 - timedelta(hours=1), "ends_at": T0 + timedelta(hours=1),
                            "quota": quota, "release_at_end": True})
    made = in_tx(setup.add_codes, user_id=owner.id, event_id=event.id, presale_id=presale.id, count=codes,
                 max_uses=max_uses, now=T0)
    return {**data, "presale_id": presale.id, "codes": [c.code for c in made]}


def stampede(data: dict, *, checkout_every: int = 0) -> Counter:
    """Every buyer holds one ticket with one of the codes at once."""
    return promo_race.stampede(data, checkout_every=checkout_every,
                               code=lambda i: {"access_code": data["codes"][i % len(data["codes"])].lower()})


def used(data: dict) -> tuple[int, int]:
    """(uses of the presale's codes, holds) as committed."""
    with session_scope(readonly=True) as db:
        uses = db.exec(select(func.count()).select_from(PresaleUse)
                       .where(PresaleUse.presale_id == data["presale_id"])).one()
        held = db.exec(select(func.count()).select_from(Hold).where(Hold.event_id == data["event_id"])).one()
    return uses, held


def test_120_buyers_never_use_a_ten_use_access_code_eleven_times():
    data = build(buyers=120, max_uses=10)
    outcomes = stampede(data, checkout_every=3)
    assert outcomes == Counter({"won": 10, "access_code_used_up": 110})
    assert used(data) == (10, 10)


def test_the_quota_holds_across_many_codes_and_released_holds_free_it_for_the_next():
    data = build(buyers=80, max_uses=100, codes=8, quota=12)
    first = stampede({**data, "buyers": data["buyers"][:40]})
    assert first == Counter({"won": 12, "quota_reached": 28})
    with session_scope(readonly=True) as db:
        taken = db.exec(select(Hold.id, Hold.user_id).where(Hold.event_id == data["event_id"])).all()
    for hold_id, user_id in taken[:3]:
        in_tx(holds.release_hold, hold_id=hold_id, user_id=user_id, now=T0)
    second = stampede({**data, "buyers": data["buyers"][40:]})
    assert second["won"] == 3 and used(data)[0] == 12


def test_control_without_the_presales_lock_the_race_uses_a_code_too_often(monkeypatch):
    """Known to bite: the presale's row read without FOR UPDATE, and a pause between counting
    the uses and writing one, hands out more than max_uses."""
    monkeypatch.setattr(access, "lock_rows",
                        lambda db, model, ids: [db.exec(select(Presale).where(Presale.id == ids[0])).one()])
    original = access.live_uses

    def slow_count(db, **kwargs):
        n = original(db, **kwargs)
        time.sleep(0.05)  # widen the gap between counting and writing
        return n

    monkeypatch.setattr(access, "live_uses", slow_count)
    data = build(buyers=60, max_uses=10)
    outcomes = stampede(data)
    assert outcomes["won"] > 10 and used(data)[0] > 10
