"""Real parallel transactions on PostgreSQL racing for the last uses of a promo code.

The buyers spread over many sessions (tests/stampede.py), so that no session lock lines them
up: only the code's own row lock stands between them and an eleventh use of a ten-use code. Both ways a hold is
taken are raced: the claim counters' statement (its code's counter of uses checked under the
code's lock) and the exact path (the uses recounted under it). A control per way takes the
lock away and shows the race exists.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from tests.builders import T0, in_tx
from tests.stampede import committed, release_holds, rooms_event, slowed
from tests.stampede import stampede as shared_stampede
from ticketing.models import Hold, PromoCode, PromoRedemption
from ticketing.services.promotions import codes, redemptions
from ticketing.services.promotions.codes import CodeTerms
from ticketing.services.sales import hold_store, holds

pytestmark = pytest.mark.postgres


def build(*, buyers: int, max_uses: int) -> dict:
    data = rooms_event(title="Stampede", buyers=buyers)
    code = in_tx(codes.create_code, user_id=data["owner"], event_id=data["event_id"],
                 terms=CodeTerms(code="STAMPEDE", kind="percent", value=25, max_uses=max_uses), now=T0)
    return {**data, "code_id": code.id}


def stampede(data: dict, *, checkout_every: int = 0) -> Counter:
    """Every buyer holds one ticket with the code at once (stampede.stampede)."""
    return shared_stampede(data, checkout_every=checkout_every, code=lambda i: {"promo_code": "stampede"})


def redeemed(data: dict) -> tuple[int, int]:
    """(redemptions of the code, discounted holds) as committed."""
    return (committed(PromoRedemption, PromoRedemption.promo_code_id == data["code_id"]),
            committed(Hold, Hold.promo_code_id == data["code_id"]))


@pytest.fixture(params=["counters", "exact"])
def way(request, monkeypatch) -> str:
    if request.param == "exact":
        monkeypatch.setattr(holds, "_grant_on_counters", lambda raw, **kwargs: None)
    return request.param


def test_200_buyers_never_redeem_a_ten_use_code_eleven_times(way):
    data = build(buyers=200, max_uses=10)
    outcomes = stampede(data, checkout_every=3)
    assert outcomes == Counter({"won": 10, "code_used_up": 190})
    assert redeemed(data) == (10, 10)


def test_uses_given_back_by_released_holds_go_to_the_next_buyers_and_no_further(way):
    data = build(buyers=40, max_uses=5)
    first = stampede({**data, "buyers": data["buyers"][:20]})
    assert first["won"] == 5
    release_holds(Hold.promo_code_id == data["code_id"], count=2)
    second = stampede({**data, "buyers": data["buyers"][20:]})
    assert second["won"] == 2 and redeemed(data)[0] == 5


def test_control_counters_without_the_codes_lock_the_race_redeems_too_often(monkeypatch):
    """Known to bite: the counters' statement reading the code's row without FOR UPDATE (and
    pausing between its check and its inserts) hands out more than max_uses."""
    unlocked = hold_store._TAKE_WITH_CODE.replace("    FOR UPDATE\n),\nok AS", "),\nok AS").replace(
        "SELECT count(*) = %(wanted)s", "SELECT pg_sleep(0.05) IS NOT NULL AND count(*) = %(wanted)s")
    assert unlocked.count("FOR UPDATE") == hold_store._TAKE_WITH_CODE.count("FOR UPDATE") - 1
    monkeypatch.setattr(hold_store, "_TAKE_WITH_CODE", unlocked)
    data = build(buyers=60, max_uses=10)
    outcomes = stampede(data)
    assert outcomes["won"] > 10 and redeemed(data)[0] > 10


def test_control_exact_without_the_codes_lock_the_race_redeems_too_often(monkeypatch):
    """Known to bite: the exact path with the code's row read without FOR UPDATE, and a pause
    between counting the uses and writing one, hands out more than max_uses."""
    monkeypatch.setattr(holds, "_grant_on_counters", lambda raw, **kwargs: None)

    def unlocked(db, code_id):
        return db.exec(select(PromoCode).where(PromoCode.id == code_id)).one()

    monkeypatch.setattr(redemptions, "lock_code", unlocked)
    monkeypatch.setattr(redemptions, "check_uses", slowed(redemptions.check_uses))
    data = build(buyers=60, max_uses=10)
    outcomes = stampede(data)
    assert outcomes["won"] > 10 and redeemed(data)[0] > 10
