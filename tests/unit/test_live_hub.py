"""The per-worker hub: registry, ordered application of deltas, gaps, reloads, bus health."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ticketing.realtime import hub as hub_module
from ticketing.realtime.hub import LiveHub


class World:
    """A fake database (version + counter per event) and a fake set of connected tabs."""

    def __init__(self) -> None:
        self.version = 0
        self.count = 0
        self.loads = 0
        self.connected: set[str] = set()
        self.frames: list[tuple[str, str, dict[str, Any]]] = []
        self.emits = 0  # calls of the emitter (one per view and push)

    async def load_snapshot(self, event_id: str, views: frozenset[str]):
        self.loads += 1
        return self.version, {"count": self.count}, {v: {"count": self.count, "title": "Gig"} for v in views}

    def apply_delta(self, model: dict[str, Any], delta: dict[str, Any], views: frozenset[str]):
        if "count" not in delta:
            return None  # e.g. figures for a session the model does not know
        return {"count": delta["count"]}, {view: {"count": delta["count"], "title": "Gig"} for view in views}

    async def emit(self, tokens: list[str], view: str, values: dict[str, Any]) -> list[str]:
        self.emits += 1
        self.frames += [(token, view, values) for token in tokens if token in self.connected]
        return [token for token in tokens if token not in self.connected]

    def hub(self, push_interval: float = 0.0, delta_keys: dict[str, tuple[str, ...]] | None = None,
            frames_per_second: float = float("inf")) -> LiveHub:
        return LiveHub(load_snapshot=self.load_snapshot, apply_delta=self.apply_delta, emit=self.emit,
                       push_interval=push_interval, delta_keys=delta_keys, frames_per_second=frames_per_second)


def delta(version: int, count: int, **extra: Any) -> dict[str, Any]:
    return {"type": "delta", "event_id": "e1", "version": version, "count": count, **extra}


def last(world: World, token: str) -> dict[str, Any]:
    return [v for t, _, v in world.frames if t == token][-1]


async def known_at(hub: LiveHub, world: World, version: int, count: int) -> None:
    """Bring the hub to `version` through a first delta (which loads a snapshot)."""
    world.version, world.count = version, count
    await hub.handle(delta(version, count))
    world.loads, world.frames = 0, []


@pytest.fixture
def world() -> World:
    w = World()
    w.connected = {"tab-a", "tab-b"}
    return w


def run(coro):
    return asyncio.run(coro)


def test_first_delta_loads_a_snapshot_then_applies_in_order(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        hub.watch("tab-b", "e1", "customer")
        world.version, world.count = 1, 10
        await hub.handle(delta(1, 10))  # the hub knew nothing yet: snapshot
        assert world.loads == 1
        await hub.handle(delta(2, 11))
        await hub.handle(delta(3, 12))
        await hub.handle(delta(2, 99))  # stale duplicate: ignored
        assert world.loads == 1
        assert last(world, "tab-a") == {"count": 12, "title": "Gig", "version": 3, "live": True}
        assert last(world, "tab-b")["count"] == 12

    run(scenario())


def test_a_delta_pushes_only_what_a_delta_changes_and_a_snapshot_everything(world):
    async def scenario():
        hub = world.hub(delta_keys={"customer": ("count",)})
        hub.watch("tab-a", "e1", "customer")
        hub.watch("tab-b", "e1", "dashboard")
        world.version, world.count = 1, 10
        await hub.handle(delta(1, 10))  # a snapshot: whole views
        assert last(world, "tab-a") == {"count": 10, "title": "Gig", "version": 1, "live": True}
        await hub.handle(delta(2, 11))
        assert last(world, "tab-a") == {"count": 11, "version": 2, "live": True}
        assert last(world, "tab-b") == {"count": 11, "title": "Gig", "version": 2, "live": True}  # no delta keys
        world.version, world.count = 3, 12
        await hub.handle(delta(3, 12, structure=True))  # the catalog changed: reload, whole again
        assert last(world, "tab-a") == {"count": 12, "title": "Gig", "version": 3, "live": True}

    run(scenario())


def test_events_nobody_watches_are_ignored(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "other", "customer")
        await hub.handle(delta(1, 10))
        assert world.frames == [] and world.loads == 0

    run(scenario())


def test_out_of_order_deltas_wait_for_the_missing_one(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 5, 50)
        await hub.handle(delta(7, 52))  # 6 is missing: buffered
        assert world.frames == []
        await hub.handle(delta(6, 51))  # fills the gap: 6 then 7 applied
        assert [v["version"] for _, _, v in world.frames] == [7]
        assert last(world, "tab-a")["count"] == 52 and world.loads == 0

    run(scenario())


def test_a_gap_that_never_fills_reloads_a_snapshot(world, monkeypatch):
    monkeypatch.setattr(hub_module, "GAP_WAIT", 0.05)

    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 5, 50)
        world.version, world.count = 8, 53
        await hub.handle(delta(8, 53))  # 6 and 7 never come
        assert world.loads == 0
        await asyncio.sleep(0.15)
        assert world.loads == 1
        assert last(world, "tab-a") == {"count": 53, "title": "Gig", "version": 8, "live": True}

    run(scenario())


def test_structure_changes_and_unknown_deltas_reload(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        world.version, world.count = 2, 7
        await hub.handle({"type": "delta", "event_id": "e1", "version": 2, "structure": True})
        assert world.loads == 1 and last(world, "tab-a")["count"] == 7
        world.version, world.count = 3, 8
        await hub.handle({"type": "delta", "event_id": "e1", "version": 3})  # cannot be applied
        assert world.loads == 2 and last(world, "tab-a")["count"] == 8

    run(scenario())


def test_disconnected_and_departed_tabs_stop_receiving(world):
    async def scenario():
        hub = world.hub()
        for tab in ("tab-a", "tab-b", "tab-gone"):
            hub.watch(tab, "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle(delta(2, 2))
        assert hub.watchers("e1") == 2  # tab-gone was not connected: pruned
        hub.unwatch("tab-b")
        await hub.handle(delta(3, 3))
        assert {t for t, _, v in world.frames if v["version"] == 3} == {"tab-a"}
        hub.watch("tab-a", "e2", "customer")  # navigating to another event moves the tab
        assert hub.watchers("e1") == 0 and hub.watchers("e2") == 1

    run(scenario())


def test_bus_down_pauses_and_bus_up_catches_up(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle({"type": "bus_down"})
        assert last(world, "tab-a") == {"live": False}
        world.version, world.count = 9, 42  # sales went on meanwhile
        await hub.handle({"type": "bus_up"})
        assert world.loads == 1
        frames = [v for t, _, v in world.frames if t == "tab-a"]
        assert {"count": 42, "title": "Gig", "version": 9, "live": True} in frames and frames[-1]["live"] is True

    run(scenario())


def test_a_new_kind_of_view_joining_makes_the_next_delta_reload(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle(delta(2, 2))
        assert world.loads == 0  # applied in memory
        hub.watch("tab-b", "e1", "dashboard")  # nobody computed this view yet
        world.version, world.count = 3, 3
        await hub.handle(delta(3, 3))
        assert world.loads == 1
        assert last(world, "tab-b") == {"count": 3, "title": "Gig", "version": 3, "live": True}

    run(scenario())


def test_one_emit_per_view_whatever_the_number_of_tabs(world):
    async def scenario():
        hub = world.hub()
        world.connected = {f"tab-{i}" for i in range(50)} | {"dash"}
        for i in range(50):
            hub.watch(f"tab-{i}", "e1", "customer")
        hub.watch("dash", "e1", "dashboard")
        await known_at(hub, world, 1, 1)
        world.emits = 0
        await hub.handle(delta(2, 2))
        assert world.emits == 2  # customer + dashboard
        assert len([f for f in world.frames if f[2]["version"] == 2]) == 51

    run(scenario())


def test_a_burst_of_deltas_is_merged_into_one_push_per_interval(world):
    async def scenario():
        hub = world.hub(push_interval=0.05)
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        await asyncio.sleep(0.06)  # quiet spell: the next change goes out at once
        await hub.handle(delta(2, 2))
        assert last(world, "tab-a")["version"] == 2
        for version in range(3, 11):  # a stampede within the interval
            await hub.handle(delta(version, version))
        assert last(world, "tab-a")["version"] == 2  # merged, not yet pushed
        await asyncio.sleep(0.08)
        pushed = [v["version"] for t, _, v in world.frames if t == "tab-a"]
        assert pushed == [2, 10]  # one push carrying the latest figures
        assert last(world, "tab-a") == {"count": 10, "title": "Gig", "version": 10, "live": True}

    run(scenario())


def test_the_push_interval_grows_with_the_tabs_a_worker_serves(world):
    """Frames a second stay bounded: 40 tabs at 200 frames a second are one push per 0.2 s."""

    async def scenario():
        hub = world.hub(push_interval=0.01, frames_per_second=200)
        hub.watch("tab-a", "e1", "customer")
        assert hub.interval() == 0.01  # one tab: the shortest interval
        for n in range(39):
            hub.watch(f"tab-{n}", "e2", "customer")  # tabs of another event count too
        assert hub.interval() == pytest.approx(0.2)
        await known_at(hub, world, 1, 1)
        await asyncio.sleep(0.21)
        await hub.handle(delta(2, 2))  # after a quiet spell: at once
        assert last(world, "tab-a")["version"] == 2
        await hub.handle(delta(3, 3))
        await asyncio.sleep(0.05)  # the short interval has passed, the adapted one not
        assert last(world, "tab-a")["version"] == 2
        await asyncio.sleep(0.2)
        assert last(world, "tab-a")["version"] == 3  # merged and pushed once the interval is up
        for n in range(39):
            hub.unwatch(f"tab-{n}")
        assert hub.interval() == 0.01

    run(scenario())


def test_a_pending_push_dies_with_the_last_tab(world):
    async def scenario():
        hub = world.hub(push_interval=0.05)
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle(delta(2, 2))
        await hub.handle(delta(3, 3))  # merged push scheduled
        hub.unwatch("tab-a")
        await asyncio.sleep(0.08)
        assert world.frames == []

    run(scenario())


def test_checkins_reload_the_door_views_at_most_once_per_interval(world):
    async def scenario():
        hub = world.hub(push_interval=0.05)
        hub.watch("tab-a", "e1", "door")
        await known_at(hub, world, 1, 1)
        await asyncio.sleep(0.06)
        world.count = 5  # check-ins do not move the version
        await hub.handle({"type": "checkins", "event_id": "e1"})
        assert world.loads == 1 and last(world, "tab-a") == {"count": 5, "title": "Gig", "version": 1, "live": True}
        for _ in range(20):  # four gates scanning fast
            await hub.handle({"type": "checkins", "event_id": "e1"})
        assert world.loads == 1
        world.count = 25
        await asyncio.sleep(0.08)
        assert world.loads == 2 and last(world, "tab-a")["count"] == 25

    run(scenario())


def test_checkins_leave_pages_without_door_figures_alone(world):
    async def scenario():
        hub = world.hub()
        hub.watch("tab-a", "e1", "customer")
        await known_at(hub, world, 1, 1)
        await hub.handle({"type": "checkins", "event_id": "e1"})
        assert world.loads == 0 and world.frames == []

    run(scenario())


def test_a_tab_registering_after_a_sale_it_did_not_read_is_caught_up_at_once(world):
    """The page read version 4; a sale (version 5) was announced before the tab registered:
    without a catch-up the tab would show the old figures until the next sale."""

    async def scenario():
        hub = world.hub()
        await hub.handle(delta(5, 15))  # nobody watches yet: only remembered
        world.version, world.count = 5, 15
        hub.watch("tab-a", "e1", "customer", 4)
        await asyncio.sleep(0)  # the catch-up task runs
        assert world.loads == 1 and last(world, "tab-a")["count"] == 15

        hub.watch("tab-b", "e1", "customer", 5)  # read the newest version: nothing to do
        await asyncio.sleep(0)
        assert world.loads == 1 and not [f for f in world.frames if f[0] == "tab-b"]

    run(scenario())
