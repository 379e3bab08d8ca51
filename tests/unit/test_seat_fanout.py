"""The per-worker seat fan-out: small frames per watching tab, the last versions repeated, only
the tab's own session's seats, layout reloads, bus outages, tabs that went away, and the pacing
of frames in a stampede."""

from __future__ import annotations

import asyncio

from ticketing.realtime.seat_fanout import KEEP, RECENT, SeatFanout


class Tabs:
    def __init__(self, gone: set[str] = frozenset()) -> None:
        self.sent: list[tuple[str, str, dict]] = []
        self.gone = set(gone)

    async def emit(self, tokens: list[str], view: str, values: dict) -> list[str]:
        self.sent += [(token, view, values["seat_delta"]) for token in tokens if token not in self.gone]
        return [token for token in tokens if token in self.gone]

    def frames(self, token: str) -> list[dict]:
        return [f for t, _, f in self.sent if t == token]


def delta(version: int, seats: dict | None = None, **extra) -> dict:
    return {"type": "delta", "event_id": "E", "version": version, "seats": seats or {}, **extra}


def run(coro):
    return asyncio.run(coro)


def unpaced(tabs: Tabs) -> SeatFanout:
    """A frame for every change (pacing is tested on its own below)."""
    return SeatFanout(emit=tabs.emit, push_interval=0, frames_per_second=float("inf"))


def test_each_tab_gets_its_sessions_seats_with_the_last_versions_repeated():
    tabs = Tabs()
    fan = unpaced(tabs)
    fan.watch("a", "E", "S1", "seatmap")
    fan.watch("b", "E", "S2", "seatmap_admin")

    async def go():
        for v in range(1, 7):
            await fan.handle(delta(v, {"S1": [[v, 1]]} if v % 2 else {"S2": [[v, 3]]}))

    run(go())
    last_a, last_b = tabs.frames("a")[-1], tabs.frames("b")[-1]
    assert [v for v, _ in last_a["d"]] == list(range(6 - RECENT, 7))  # the new one and RECENT before it
    assert last_a["d"][-1] == [6, []] and last_a["d"][-2] == [5, [[5, 1]]]
    assert last_b["d"][-1] == [6, [[6, 3]]]
    assert [view for t, view, _ in tabs.sent if t == "b"] == ["seatmap_admin"] * 6


def test_out_of_order_and_repeated_deltas_stay_in_version_order_once():
    tabs = Tabs()
    fan = unpaced(tabs)
    fan.watch("a", "E", "S1", "seatmap")
    run(fan.handle(delta(2, {"S1": [[2, 1]]})))
    run(fan.handle(delta(1, {"S1": [[1, 1]]})))
    run(fan.handle(delta(2, {"S1": [[2, 1]]})))
    assert len(tabs.frames("a")) == 2
    assert [v for v, _ in tabs.frames("a")[-1]["d"]] == [1, 2]


def test_repriced_seats_ask_for_the_layout_and_other_events_are_ignored():
    tabs = Tabs()
    fan = unpaced(tabs)
    fan.watch("a", "E", "S1", "seatmap")
    fan.watch("b", "E", "S2", "seatmap")
    run(fan.handle(delta(3, layouts=["S1"])))
    run(fan.handle({**delta(4), "event_id": "OTHER"}))
    assert tabs.frames("a") == [{"layout": 3}]
    assert tabs.frames("b")[0]["d"] == [[3, []]]


def test_bus_outage_and_recovery_and_tabs_that_left():
    tabs = Tabs(gone={"gone"})
    fan = unpaced(tabs)
    fan.watch("a", "E", "S1", "seatmap")
    fan.watch("gone", "E", "S1", "seatmap")
    run(fan.handle({"type": "bus_down"}))
    run(fan.handle({"type": "bus_up"}))
    assert tabs.frames("a") == [{"live": False}, {"live": True, "reload": True}]
    assert fan.watchers("E") == 1
    fan.unwatch("a")
    assert fan.watchers("E") == 0
    run(fan.handle(delta(9, {"S1": [[1, 1]]})))
    assert len(tabs.sent) == 2


def test_a_stampede_of_changes_is_one_frame_now_and_one_merged_frame_after_the_interval():
    tabs = Tabs()
    fan = SeatFanout(emit=tabs.emit, push_interval=0.05, frames_per_second=float("inf"))
    fan.watch("a", "E", "S1", "seatmap")
    fan.watch("b", "E", "S2", "seatmap")

    async def go():
        for v in range(1, 11):  # ten purchases within the interval
            await fan.handle(delta(v, {"S1": [[v, 2]]}))
        assert len(tabs.frames("a")) == 1  # the first went out at once, the rest wait
        await fan.handle(delta(11, layouts=["S2"]))  # S2's seats re-priced meanwhile
        await asyncio.sleep(0.1)

    run(go())
    first, merged = tabs.frames("a")
    assert [v for v, _ in first["d"]] == [1]
    # every version since the first frame, and that one again: the map applies them in order
    assert [v for v, _ in merged["d"]] == list(range(1, 12))
    assert merged["d"][4] == [5, [[5, 2]]] and merged["d"][-1] == [11, []]
    assert tabs.frames("b") == [{"d": [[1, []]]}, {"layout": 11}]


def test_a_frame_carries_at_most_keep_versions_and_the_interval_grows_with_the_tabs():
    tabs = Tabs()
    fan = SeatFanout(emit=tabs.emit, push_interval=0.01, frames_per_second=200)
    fan.watch("a", "E", "S1", "seatmap")
    assert fan.interval() == 0.01
    for n in range(39):
        fan.watch(f"t{n}", "E", "S1", "seatmap")
    assert fan.interval() == 0.2  # 40 tabs at 200 frames a second

    async def go():
        for v in range(1, KEEP + 20):
            await fan.handle(delta(v, {"S1": [[v, 2]]}))
        await asyncio.sleep(0.3)

    run(go())
    merged = tabs.frames("a")[-1]["d"]
    assert len(merged) == KEEP and merged[-1][0] == KEEP + 19  # the oldest left out: the map sees a gap
