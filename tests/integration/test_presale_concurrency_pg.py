"""Real parallel transactions on PostgreSQL racing for a presale's access code and quota.

The buyers spread over many sessions (tests/stampede.py), so that no session lock lines them
up: only the presale's own row lock stands between them and an eleventh use of a ten-use code,
or a ticket past the quota. A control takes the lock away and shows the race exists.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.builders import T0, in_tx
from tests.stampede import committed, release_holds, rooms_event, slowed
from tests.stampede import stampede as shared_stampede
from ticketing.models import Hold, Presale, PresaleUse
from ticketing.services.presales import access, setup

pytestmark = pytest.mark.postgres


def build(*, buyers: int, max_uses: int, codes: int = 1, quota: int | None = None) -> dict:
    data = rooms_event(title="Presale rush", buyers=buyers)
    presale = in_tx(setup.create_presale, user_id=data["owner"], event_id=data["event_id"], now=T0,
                    fields={"name": "Rush", "starts_at": T0 - timedelta(hours=1), "ends_at": T0 + timedelta(hours=1),
                            "quota": quota, "release_at_end": True})
    made = in_tx(setup.add_codes, user_id=data["owner"], event_id=data["event_id"], presale_id=presale.id,
                 count=codes, max_uses=max_uses, now=T0)
    return {**data, "presale_id": presale.id, "codes": [c.code for c in made]}


def stampede(data: dict, *, checkout_every: int = 0) -> Counter:
    """Every buyer holds one ticket with one of the codes at once (stampede.stampede)."""
    return shared_stampede(data, checkout_every=checkout_every,
                           code=lambda i: {"access_code": data["codes"][i % len(data["codes"])].lower()})


def used(data: dict) -> tuple[int, int]:
    """(uses of the presale's codes, holds) as committed."""
    return (committed(PresaleUse, PresaleUse.presale_id == data["presale_id"]),
            committed(Hold, Hold.event_id == data["event_id"]))


def test_120_buyers_never_use_a_ten_use_access_code_eleven_times():
    data = build(buyers=120, max_uses=10)
    outcomes = stampede(data, checkout_every=3)
    assert outcomes == Counter({"won": 10, "access_code_used_up": 110})
    assert used(data) == (10, 10)


def test_the_quota_holds_across_many_codes_and_released_holds_free_it_for_the_next():
    data = build(buyers=80, max_uses=100, codes=8, quota=12)
    first = stampede({**data, "buyers": data["buyers"][:40]})
    assert first == Counter({"won": 12, "quota_reached": 28})
    release_holds(Hold.event_id == data["event_id"], count=3)
    second = stampede({**data, "buyers": data["buyers"][40:]})
    assert second["won"] == 3 and used(data)[0] == 12


def test_control_without_the_presales_lock_the_race_uses_a_code_too_often(monkeypatch):
    """Known to bite: the presale's row read without FOR UPDATE, and a pause between counting
    the uses and writing one, hands out more than max_uses."""
    monkeypatch.setattr(access, "lock_rows",
                        lambda db, model, ids: [db.exec(select(Presale).where(Presale.id == ids[0])).one()])
    monkeypatch.setattr(access, "live_uses", slowed(access.live_uses))
    data = build(buyers=60, max_uses=10)
    outcomes = stampede(data)
    assert outcomes["won"] > 10 and used(data)[0] > 10
