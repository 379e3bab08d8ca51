"""Live seat maps: one listener per worker forwarding seat-status deltas to the tabs showing a map.

A map tab loads the layout and a status snapshot over HTTP, then only receives small frames:
`{"d": [[version, [[seat idx, code], ...]], ...]}` with the versions of its event since the last
frame and the few before them (the seats of its own session only, [] for versions that changed
none of them), so a tab whose browser merged two quick updates into one still sees every
version. The map itself detects a version gap and fetches a new snapshot; `{"layout": version}`
asks it to reload the layout (its seats were re-priced), `{"live": false}` says the bus is down
(it then polls the snapshot). No database work here: the delta composed in the committing
transaction is all it needs.

Frames are paced per event as the live hub's are (realtime/pacing.py): at an on-sale of a seated
event every purchase changes seats, and a frame per change to every map tab was a frame per
commit per tab; now a tab gets at most one frame per interval, carrying every version since
the last (up to KEEP of them: beyond that the map sees a gap and loads a snapshot).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from ticketing.realtime.listener import BusFollower
from ticketing.realtime.pacing import FRAMES_PER_SECOND, PUSH_INTERVAL, Pacer, interval_for

RECENT = 4  # versions already sent, repeated in each frame
KEEP = 64  # versions one frame carries at most
# (tokens, view, {var: value}) -> the tokens that are gone (not connected to this worker).
Emitter = Callable[[list[str], str, dict[str, Any]], Awaitable[list[str]]]


class SeatFanout(BusFollower):
    what = "seat map update"

    def __init__(self, *, emit: Emitter, var: str = "seat_delta", push_interval: float = PUSH_INTERVAL,
                 frames_per_second: float = FRAMES_PER_SECOND) -> None:
        super().__init__()
        self._emit = emit
        self._var = var
        self.push_interval, self.frames_per_second = push_interval, frames_per_second
        self._tabs: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)  # event -> token -> (session, view)
        self._event_of: dict[str, str] = {}
        self._events: dict[str, _Event] = {}
        self.frames = 0  # frames sent (benchmarks)

    def watch(self, token: str, event_id: str, session_id: str, view: str) -> None:
        self.unwatch(token)
        self._tabs[event_id][token] = (session_id, view)
        self._event_of[token] = event_id

    def unwatch(self, token: str) -> None:
        event_id = self._event_of.pop(token, None)
        if event_id is None:
            return
        tabs = self._tabs.get(event_id, {})
        tabs.pop(token, None)
        if not tabs:
            self._tabs.pop(event_id, None)
            event = self._events.pop(event_id, None)
            if event is not None:
                event.pacer.cancel()

    def watchers(self, event_id: str) -> int:
        return len(self._tabs.get(event_id, {}))

    def interval(self) -> float:
        return interval_for(len(self._event_of), self.push_interval, self.frames_per_second)

    # Listener (BusFollower) -----------------------------------------------------------------
    async def _went_down(self) -> None:
        await self._broadcast({"live": False})

    async def _came_back(self, was_down: bool) -> None:
        if was_down:  # deltas may have been lost meanwhile: maps take a fresh snapshot
            await self._broadcast({"live": True, "reload": True})

    async def _heard(self, message: dict[str, Any]) -> None:
        if message.get("type") == "delta":
            await self._on_delta(message)

    async def _on_delta(self, delta: dict[str, Any]) -> None:
        event_id = str(delta.get("event_id"))
        if not self._tabs.get(event_id):
            return
        event = self._events.setdefault(event_id, _Event())
        version = int(delta.get("version", 0))
        if any(v == version for v, _ in event.recent):
            return
        event.recent.append((version, delta.get("seats") or {}))
        event.recent.sort(key=lambda item: item[0])
        del event.recent[:-KEEP]
        event.relayout.update((s, version) for s in delta.get("layouts") or [])
        await event.pacer.when_due(self.interval(), lambda: self._push(event_id))

    async def _push(self, event_id: str) -> None:
        """One frame per tab: the versions since the last frame and RECENT before them."""
        event = self._events.get(event_id)
        if event is None:
            return
        event.pacer.mark()
        fresh = sum(1 for v, _ in event.recent if v > event.sent)
        recent = event.recent[-(fresh + RECENT):]
        relayout = {}
        for session_id, version in event.relayout:
            relayout[session_id] = max(version, relayout.get(session_id, version))
        event.sent, event.relayout = max(event.sent, recent[-1][0]), set()

        def frame(session_id: str) -> dict[str, Any]:
            if session_id in relayout:
                return {"layout": relayout[session_id]}
            return {"d": [[v, seats.get(session_id, [])] for v, seats in recent]}

        await self._send(event_id, frame)

    async def _send(self, event_id: str, frame_for: Callable[[str], dict[str, Any]]) -> None:
        """One emit per (session, view): socket.io encodes each frame once for all its tabs."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for token, (session_id, view) in self._tabs.get(event_id, {}).items():
            groups[(session_id, view)].append(token)
        for (session_id, view), tokens in groups.items():
            gone = await self._emit(tokens, view, {self._var: frame_for(session_id)})
            for token in gone:
                self.unwatch(token)
            self.frames += len(tokens) - len(gone)

    async def _broadcast(self, frame: dict[str, Any]) -> None:
        for event_id in list(self._tabs):
            await self._send(event_id, lambda _session: frame)


class _Event:
    """What one worker knows of one event's seat changes."""

    def __init__(self) -> None:
        self.recent: list[tuple[int, dict[str, list[list[int]]]]] = []  # (version, seats by session), at most KEEP
        self.sent = -1  # the newest version pushed
        self.relayout: set[tuple[str, int]] = set()  # (session, version) re-priced since the last frame
        self.pacer = Pacer()
