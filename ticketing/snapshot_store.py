"""Shared snapshots: JSON-able values stored once under a key derived from their content, in
Redis (when REDIS_URL is set) and in each worker's memory. The page states use them to keep data
that is the same for every tab out of each tab's pickle (state/shared_snapshot.py)."""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from collections import OrderedDict
from typing import Any

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


class SnapshotStore:
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


store = SnapshotStore()
