"""The event page's data shared by every tab is pickled once (a shared snapshot in Redis), and
each tab's pickle keeps only its key and what is its own."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from reflex.state import State

from tests.services import ensure_redis
from ticketing import snapshot_store
from ticketing.state.event_page import EventPageState

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def store(monkeypatch) -> snapshot_store.SnapshotStore:
    ensure_redis()
    fresh = snapshot_store.SnapshotStore()
    fresh._url = REDIS
    monkeypatch.setattr(snapshot_store, "store", fresh)
    return fresh


def _tab(event_id: str, promo_code: str) -> EventPageState:
    page = State(_reflex_internal_init=True).get_substate(EventPageState.get_full_name().split(".")[1:])
    type_id = str(uuid.UUID(int=1))
    page.event = {"id": event_id, "title": "Open Air", "description": "A long evening. " * 60}
    page.sessions = [{"id": str(uuid.UUID(int=2)), "name": "Evening", "available": 40, "capacity": 50}]
    page.ticket_types = [{"id": type_id, "name": "Standing", "price": "€25.00", "available": 40}]
    page.rules, page.type_max, page._prices = {type_id: "At most 4 per order."}, {type_id: 4}, {type_id: 2500}
    page.promo_code = promo_code  # the tab's own (its basket lives in the browser)
    return page


def _pickle(page: EventPageState) -> bytes:
    return page._serialize()


def test_two_tabs_of_one_event_share_one_snapshot_and_keep_their_own_fields(store):
    event_id = str(uuid.uuid4())  # fresh content: a key no earlier run stored
    first, second = _tab(event_id, "SPRING"), _tab(event_id, "AUTUMN")
    whole = len(_pickle(first))
    asyncio.run(first._share())
    asyncio.run(second._share())

    assert first._snapshot_key == second._snapshot_key
    one, two = _pickle(first), _pickle(second)
    assert b"A long evening" not in one and b"A long evening" not in two
    assert len(one) < whole / 2

    # Another worker (nothing in memory) reads the snapshot from Redis once.
    store.local.clear()
    back = EventPageState._deserialize(two)
    assert back.promo_code == "AUTUMN"
    assert back.event["title"] == "Open Air" and back.ticket_types == second.ticket_types
    assert back._prices == second._prices and back._snapshot_key == second._snapshot_key


def test_a_field_changed_after_sharing_stays_in_the_tabs_own_pickle(store):
    page = _tab(str(uuid.uuid4()), "")
    asyncio.run(page._share())
    page.event = {**page.event, "title": "Changed here only"}
    back = EventPageState._deserialize(_pickle(page))
    assert back.event["title"] == "Changed here only"


def test_an_expired_snapshot_leaves_the_defaults_until_the_next_load(store):
    page = _tab(str(uuid.uuid4()), "SPRING")
    asyncio.run(page._share())
    data = _pickle(page)
    import redis

    redis.Redis.from_url(REDIS).delete(snapshot_store.PREFIX + page._snapshot_key)
    store.local.clear()
    back = EventPageState._deserialize(data)
    assert back.ticket_types == [] and back.promo_code == "SPRING" and back._snapshot_key == ""


def test_without_redis_the_tab_keeps_everything(store):
    store._url = ""  # one worker: states live in memory or on disk, nothing to share
    page = _tab(str(uuid.uuid4()), "")
    asyncio.run(page._share())
    assert b"A long evening" in _pickle(page)
