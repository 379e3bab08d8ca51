"""Live figures of an organization's pages (the broker Profit page): one registry per worker of
the tabs watching an organization, and a reload of their figures when any of its events changes.

Sales, holds and purchase orders change one event each and publish a delta on that event's
channel (ticketing.services.live_changes). The figures of an organization page span all its
events, so a delta of any of them reloads the figures once per (organization, view, parameter),
and the same frame goes to every tab showing them. Reloads read the database (sums over the
sales table), paced (realtime/pacing.py): the first change after a quiet spell reloads at once,
changes within RELOAD_INTERVAL of a reload are merged into one more reload at the end of that
interval, so a stampede of sales costs one query per interval, not one per sale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ticketing.realtime.listener import BusFollower
from ticketing.realtime.pacing import Pacer

RELOAD_INTERVAL = 1.0  # seconds between two reloads of one organization page's figures
MAX_KNOWN_EVENTS = 20_000  # event -> organization answers kept before starting afresh

Key = tuple[str, str, str]  # (organization id, view, parameter such as the grouping)
# (organization id, view, parameter, watching user ids) -> (the view's vars, the users among
# them still allowed to see them; no vars when none is).
Loader = Callable[[str, str, str, set[str]], Awaitable[tuple[dict[str, Any] | None, set[str]]]]
# event id -> its organization id (None: no such event).
OrgOfEvent = Callable[[str], Awaitable[str | None]]
# (tokens, view, vars) -> the tokens that are gone (not connected to this worker).
Emitter = Callable[[list[str], str, dict[str, Any]], Awaitable[list[str]]]


@dataclass
class _Pending:
    pacer: Pacer = field(default_factory=Pacer)
    running: bool = False
    again: bool = False  # a change arrived while reloading


class OrgFanout(BusFollower):
    what = "organization figures update"

    def __init__(self, *, load: Loader, org_of_event: OrgOfEvent, emit: Emitter,
                 interval: float = RELOAD_INTERVAL) -> None:
        super().__init__()
        self._load = load
        self._org_of_event = org_of_event
        self._emit = emit
        self.interval = interval
        self._tabs: dict[Key, dict[str, str]] = defaultdict(dict)  # key -> {token: user id}
        self._key_of: dict[str, Key] = {}  # token -> key
        self._orgs: dict[str, set[Key]] = defaultdict(set)  # organization -> watched keys
        self._known: dict[str, str | None] = {}  # event -> organization
        self._pending: dict[Key, _Pending] = {}
        self.reloads = 0  # figures read (tests, benchmarks)

    # Registry -------------------------------------------------------------------------------
    def watch(self, token: str, *, org_id: str, view: str, param: str, user_id: str) -> None:
        """The tab `token` shows `view` of the organization (already checked for `user_id`)."""
        self.unwatch(token)
        key = (org_id, view, param)
        self._tabs[key][token] = user_id
        self._key_of[token] = key
        self._orgs[org_id].add(key)

    def unwatch(self, token: str) -> None:
        key = self._key_of.pop(token, None)
        if key is None:
            return
        tabs = self._tabs.get(key, {})
        tabs.pop(token, None)
        if not tabs:
            self._tabs.pop(key, None)
            pending = self._pending.pop(key, None)
            if pending is not None:
                pending.pacer.cancel()
            keys = self._orgs.get(key[0], set())
            keys.discard(key)
            if not keys:
                self._orgs.pop(key[0], None)

    def watchers(self, org_id: str) -> int:
        return sum(len(self._tabs.get(k, {})) for k in self._orgs.get(org_id, ()))

    # Listener (BusFollower) -----------------------------------------------------------------
    async def _went_down(self) -> None:
        await self._broadcast({"live": False})

    async def _came_back(self, was_down: bool) -> None:
        if was_down:  # sales may have gone unheard meanwhile
            for key in list(self._tabs):
                await self._changed(key)
        await self._broadcast({"live": True})

    async def _heard(self, message: dict[str, Any]) -> None:
        if message.get("type") == "delta" and self._orgs:
            org_id = await self._organization(str(message.get("event_id")))
            for key in list(self._orgs.get(org_id or "", ())):
                await self._changed(key)

    async def _organization(self, event_id: str) -> str | None:
        if event_id not in self._known:
            if len(self._known) >= MAX_KNOWN_EVENTS:
                self._known.clear()
            self._known[event_id] = await self._org_of_event(event_id)
        return self._known[event_id]

    # Reloads --------------------------------------------------------------------------------
    async def _changed(self, key: Key) -> None:
        """Reload now if the last reload is an interval old, else once it is (merged)."""
        pending = self._pending.setdefault(key, _Pending())
        if pending.running:
            pending.again = True
            return
        await pending.pacer.when_due(self.interval, lambda: self._reload(key, pending))

    async def _reload(self, key: Key, pending: _Pending) -> None:
        pending.running = True
        try:
            pending.pacer.mark()
            values = await self._values(key)
        finally:
            pending.running = False
        if values is not None:
            tabs = self._tabs.get(key, {})
            for token in await self._emit(list(tabs), key[1], {**values, "live": self.bus_up}):
                self.unwatch(token)
        if pending.again and self._pending.get(key) is pending:
            pending.again = False
            await self._changed(key)

    async def _values(self, key: Key) -> dict[str, Any] | None:
        """The figures, read once for all watchers; tabs of users no longer allowed to see them
        (removed from the organization meanwhile) stop watching and get nothing."""
        org_id, view, param = key
        tabs = self._tabs.get(key, {})
        if not tabs:
            return None
        self.reloads += 1
        values, allowed = await self._load(org_id, view, param, set(tabs.values()))
        for token, user_id in list(tabs.items()):
            if user_id not in allowed:
                self.unwatch(token)
        return values if allowed else None

    async def _broadcast(self, values: dict[str, Any]) -> None:
        for (_, view, _), tabs in list(self._tabs.items()):
            for token in await self._emit(list(tabs), view, values):
                self.unwatch(token)
