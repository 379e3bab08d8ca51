"""One hub per backend worker: the bus listener, the registry of tabs watching each event,
and the fan-out of fresh availability to those tabs.

Tabs register with `watch(token, event_id, view)` from a page's on_load and leave with
`unwatch(token)` (page unmount) or by disconnecting (pruned at the next fan-out). Each delta
from the bus is applied once per worker and the result is pushed to every watching tab as a
frontend-only state update: the same frame for every tab, no per-tab database work, one
socket.io emit per view (the frame is encoded once, whatever the number of tabs).

Pushes are paced per event (realtime/pacing.py): the first change after a quiet spell goes out
at once, changes that follow within the interval are merged into one push at its end. Each push
carries the whole current figures, so merging loses nothing, and a stampede of purchases costs
each tab at most one frame per interval. The interval grows with the number of tabs this worker
serves (`interval_for`): with 500 tabs on one worker a tab gets a push every 200 ms at most.

A push after a delta carries only the vars a delta can change (`delta_keys` per view: the event
page's figures, not its lists of names and prices); one after a snapshot carries whole views.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ticketing.realtime.listener import BusFollower
from ticketing.realtime.pacing import FRAMES_PER_SECOND, PUSH_INTERVAL, Pacer, interval_for

GAP_WAIT = 0.2  # seconds to wait for an out-of-order delta before reloading a snapshot
DOOR_VIEWS = frozenset({"door", "dashboard"})  # the views showing check-ins
HEARD_LIMIT = 10_000  # events whose last version this worker remembers (see `watch`)


@dataclass
class Watched:
    """What one worker knows of one watched event."""

    version: int = -1
    model: Any = None  # what the loader built and deltas update (None: reload on the next delta)
    payloads: dict[str, dict[str, Any]] = field(default_factory=dict)  # view -> last pushed vars
    buffered: dict[int, dict[str, Any]] = field(default_factory=dict)  # version -> early delta
    reloading: bool = False
    reload_again: bool = False
    gap_timer: asyncio.TimerHandle | None = None
    pacer: Pacer = field(default_factory=Pacer)  # pushes, and reloads for new check-ins, paced
    whole: bool = True  # the next push carries whole views (a snapshot was loaded), not deltas


Views = dict[str, dict[str, Any]]  # view name -> the vars its tabs show
# (event_id, views) -> (version, model, views) read from the database.
SnapshotLoader = Callable[[str, frozenset[str]], Awaitable[tuple[int, Any, Views]]]
# (model, delta, views) -> (new model, views), or None when only a reload will do.
DeltaApplier = Callable[[Any, dict[str, Any], frozenset[str]], tuple[Any, Views] | None]
# (tokens, view, vars) -> the tokens that are gone (not connected to this worker).
Emitter = Callable[[list[str], str, dict[str, Any]], Awaitable[list[str]]]


class LiveHub(BusFollower):
    def __init__(self, *, load_snapshot: SnapshotLoader, apply_delta: DeltaApplier, emit: Emitter,
                 push_interval: float = PUSH_INTERVAL, frames_per_second: float = FRAMES_PER_SECOND,
                 delta_keys: dict[str, tuple[str, ...]] | None = None) -> None:
        self._load_snapshot = load_snapshot
        # view -> the vars a delta can change (pushed alone); other views always go out whole
        self._delta_keys = delta_keys or {}
        self._apply_delta = apply_delta
        self._emit = emit
        self.push_interval = push_interval  # the shortest interval (few tabs)
        self.frames_per_second = frames_per_second
        super().__init__()  # bus_up
        self._tabs: dict[str, dict[str, str]] = defaultdict(dict)  # event_id -> {token: view}
        self._event_of: dict[str, str] = {}  # token -> event_id
        self._events: dict[str, Watched] = {}
        self._announced: dict[str, int] = {}  # event_id -> newest version a delta announced
        self.delivered = 0  # frames sent (for benchmarks)
        self.last_fanout_at = 0.0

    # Registry -------------------------------------------------------------------------------
    def watch(self, token: str, event_id: str, view: str, version: int | None = None) -> None:
        """Register a tab that shows `event_id` as of `version` (what its page just read).
        A sale whose delta arrived between that read and this call would otherwise stay
        unseen by the tab until the next one: the tab is caught up at once instead."""
        self.unwatch(token)
        self._tabs[event_id][token] = view
        self._event_of[token] = event_id
        watched = self._events.setdefault(event_id, Watched())
        if view not in watched.payloads:
            watched.model = None  # a view we do not compute yet: the next delta reloads
        if version is not None and self._announced.get(event_id, -1) > version:
            asyncio.get_running_loop().create_task(self._reload(event_id))

    def unwatch(self, token: str) -> None:
        event_id = self._event_of.pop(token, None)
        if event_id is None:
            return
        tabs = self._tabs.get(event_id, {})
        tabs.pop(token, None)
        if not tabs:
            self._forget(event_id)

    def _forget(self, event_id: str) -> None:
        self._tabs.pop(event_id, None)
        watched = self._events.pop(event_id, None)
        if watched is not None:
            watched.pacer.cancel()
            if watched.gap_timer is not None:
                watched.gap_timer.cancel()

    def _views(self, event_id: str) -> frozenset[str]:
        return frozenset(self._tabs.get(event_id, {}).values())

    def watchers(self, event_id: str) -> int:
        return len(self._tabs.get(event_id, {}))

    def interval(self) -> float:
        """Seconds between two pushes of one event: PUSH_INTERVAL, or longer when this worker
        serves so many tabs that its pushes would exceed FRAMES_PER_SECOND."""
        return interval_for(len(self._event_of), self.push_interval, self.frames_per_second)

    # Listener (BusFollower) ----------------------------------------------------------------
    async def _went_down(self) -> None:
        await self._broadcast_status()

    async def _came_back(self, was_down: bool) -> None:
        if was_down:  # anything may have changed while we were deaf
            for event_id in list(self._tabs):
                await self._reload(event_id)
        await self._broadcast_status()

    async def _heard(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "delta":
            await self._on_delta(message)
        elif kind == "checkins":
            await self._on_checkins(str(message.get("event_id")))

    async def _on_delta(self, delta: dict[str, Any]) -> None:
        event_id = str(delta.get("event_id"))
        version = int(delta.get("version", 0))
        if len(self._announced) >= HEARD_LIMIT and event_id not in self._announced:
            self._announced.clear()  # forgetting only costs a catch-up that `watch` would have done
        self._announced[event_id] = max(version, self._announced.get(event_id, -1))
        watched = self._events.get(event_id)
        if watched is None or not self._tabs.get(event_id):
            return
        if watched.model is None or delta.get("structure") or watched.reloading:
            await self._reload(event_id)
            return
        if version <= watched.version:
            return  # already reflected (a snapshot was newer)
        if version > watched.version + 1:
            watched.buffered[version] = delta
            if watched.gap_timer is None:
                loop = asyncio.get_running_loop()
                watched.gap_timer = loop.call_later(GAP_WAIT, lambda: asyncio.ensure_future(self._gap_expired(event_id)))
            return
        views = self._views(event_id)
        applied = self._apply_delta(watched.model, delta, views)
        if applied is None:
            await self._reload(event_id)
            return
        watched.version, (watched.model, watched.payloads) = version, applied
        # Deltas that arrived early and now follow on.
        while watched.version + 1 in watched.buffered:
            nxt = watched.buffered.pop(watched.version + 1)
            applied = self._apply_delta(watched.model, nxt, views)
            if applied is None:
                await self._reload(event_id)
                return
            watched.version, (watched.model, watched.payloads) = watched.version + 1, applied
        watched.buffered = {v: d for v, d in watched.buffered.items() if v > watched.version}
        if not watched.buffered and watched.gap_timer:
            watched.gap_timer.cancel()
            watched.gap_timer = None
        await self._push(event_id, watched)

    async def _on_checkins(self, event_id: str) -> None:
        """Door figures changed (no version: places did not): reload the views that show them,
        at most once per push interval, however many gates are scanning."""
        watched = self._events.get(event_id)
        if watched is not None and self._views(event_id) & DOOR_VIEWS:
            await watched.pacer.when_due(self.interval(), lambda: self._reload(event_id), timer="door")

    async def _gap_expired(self, event_id: str) -> None:
        watched = self._events.get(event_id)
        if watched is None:
            return
        watched.gap_timer = None
        if watched.buffered:  # the missing delta never came: take a fresh snapshot
            await self._reload(event_id)

    async def _reload(self, event_id: str) -> None:
        watched = self._events.get(event_id)
        if watched is None:
            return
        if watched.reloading:
            watched.reload_again = True
            return
        watched.reloading = True
        try:
            while True:
                watched.reload_again = False
                views = self._views(event_id)
                if not views:
                    return
                version, model, payloads = await self._load_snapshot(event_id, views)
                watched.version, watched.model, watched.payloads = version, model, payloads
                watched.whole = True
                watched.buffered = {v: d for v, d in watched.buffered.items() if v > version}
                await self._push(event_id, watched)
                if not watched.reload_again:
                    return
        finally:
            watched.reloading = False

    # Fan-out --------------------------------------------------------------------------------
    async def _push(self, event_id: str, watched: Watched) -> None:
        """Fan out now, or once the push interval since the last push has passed."""
        await watched.pacer.when_due(self.interval(), lambda: self._fan_out(event_id))

    async def _fan_out(self, event_id: str) -> None:
        watched = self._events.get(event_id)
        if watched is None:
            return
        watched.pacer.mark()
        by_view: dict[str, list[str]] = defaultdict(list)
        for token, view in self._tabs.get(event_id, {}).items():
            if view in watched.payloads:
                by_view[view].append(token)
        whole, watched.whole = watched.whole, False
        for view, tokens in by_view.items():
            payload = watched.payloads[view]
            keys = None if whole else self._delta_keys.get(view)
            values = {**(payload if keys is None else {k: payload[k] for k in keys}),
                      "version": watched.version, "live": self.bus_up}
            gone = await self._emit(tokens, view, values)
            for token in gone:
                self.unwatch(token)
            self.delivered += len(tokens) - len(gone)
        self.last_fanout_at = time.time()

    async def _broadcast_status(self) -> None:
        for event_id, tabs in list(self._tabs.items()):
            by_view: dict[str, list[str]] = defaultdict(list)
            for token, view in tabs.items():
                by_view[view].append(token)
            for view, tokens in by_view.items():
                for token in await self._emit(tokens, view, {"live": self.bus_up}):
                    self.unwatch(token)
