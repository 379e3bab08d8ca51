"""Page data that is the same for every tab of one event, stored once instead of once per tab.

With several workers Reflex keeps every tab's state in Redis, one pickle per state class and tab.
A page that copies an event's details and availability tables into its state pays for that copy
in every open tab: 10,000 tabs on one event were 10,000 copies. A state using `SharedSnapshot`
names such fields in `_shared_fields`; its handler calls `await self._share()` once it has set
them. The fields' values are then stored once, content-addressed (the key is a hash of the
values, so equal data from any tab, worker or instance is one entry), in Redis and in each
worker's memory; the tab's pickle keeps only the key, and loading the tab puts the values back.
In the handlers nothing changes: the fields are ordinary vars.

Without Redis (one worker; states in memory or on disk) pickles keep their fields.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from collections import OrderedDict
from typing import Any, ClassVar

import redis
import redis.asyncio as aioredis
import reflex as rx

from ticketing.settings import get_settings

log = logging.getLogger(__name__)

PREFIX = "tk:snapshot:"
LOCAL_ENTRIES = 256  # snapshots kept in each worker's memory (a few per watched event version)


def _ttl() -> int:
    """As long as a tab's state lives in Redis (Reflex's token expiration)."""
    return int(rx.config.get_config().redis_token_expiration)


class _Store:
    """The worker's snapshots: an LRU in memory in front of Redis."""

    def __init__(self) -> None:
        self.local: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()  # key -> (values, refreshed)
        self._url: str | None = None
        self._sync: redis.Redis | None = None
        self._async: aioredis.Redis | None = None

    @property
    def url(self) -> str | None:
        if self._url is None:
            self._url = get_settings().redis_url or ""
        return self._url or None

    def _remember(self, key: str, values: dict[str, Any], refreshed: float) -> None:
        self.local[key] = (values, refreshed)
        self.local.move_to_end(key)
        while len(self.local) > LOCAL_ENTRIES:
            self.local.popitem(last=False)

    async def put(self, values: dict[str, Any]) -> str:
        """Store `values` (JSON-able) once; returns their key. Redis is written when this worker
        has not written that key within a quarter of the time to live."""
        key = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]
        known = self.local.get(key)
        now = time.time()
        if known is not None and now - known[1] < _ttl() / 4:
            self._remember(key, known[0], known[1])
            return key
        if self.url:
            if self._async is None:
                self._async = aioredis.Redis.from_url(self.url)
            await self._async.set(PREFIX + key, pickle.dumps(values), ex=_ttl())
        self._remember(key, values, now)
        return key

    def get(self, key: str) -> dict[str, Any] | None:
        """The values stored under `key`: from memory, else from Redis (a worker meets a
        snapshot another one stored: one read, then it is local); None when expired."""
        known = self.local.get(key)
        if known is not None:
            self.local.move_to_end(key)
            return known[0]
        if not self.url:
            return None
        if self._sync is None:
            self._sync = redis.Redis.from_url(self.url, socket_timeout=2.0)
        try:
            raw = self._sync.get(PREFIX + key)
        except redis.RedisError as exc:
            log.warning("shared snapshot %s unreadable: %s", key, exc)
            return None
        if raw is None:
            return None
        values = pickle.loads(raw)
        self._remember(key, values, 0.0)  # refreshed by the next put of this data
        return values

    def holds(self, key: str, values: dict[str, Any]) -> bool:
        """`values` are what is stored under `key` (no handler changed a field since): a
        comparison costs less than pickling them."""
        known = self.local.get(key)
        return known is not None and all(known[0].get(k) == v for k, v in values.items())


store = _Store()


class SharedSnapshot(rx.State, mixin=True):
    """Fields named in `_shared_fields` are pickled as one shared snapshot's key."""

    _shared_fields: ClassVar[tuple[str, ...]] = ()
    _snapshot_key: str = ""

    async def _share(self) -> None:
        """Store the shared fields' current values (call after setting them all)."""
        values = {name: getattr(self, name) for name in self._shared_fields}
        self._snapshot_key = await store.put(values)

    def __getstate__(self):
        fields = dict(super().__getstate__())
        key = fields.get("_snapshot_key")
        shared = {name: fields.get(name) for name in self._shared_fields}
        if key and store.url and store.holds(key, shared):
            for name in self._shared_fields:
                fields.pop(name, None)
        return fields

    def __setstate__(self, state: dict[str, Any]):
        key = state.get("_snapshot_key")
        if key and not all(name in state for name in self._shared_fields):
            values = store.get(key)
            if values is None:
                state["_snapshot_key"] = ""  # expired: the fields keep their defaults until the next load
            else:
                state.update(values)
        super().__setstate__(state)
