"""One object per process, made on first use as the settings choose: the Redis-backed one when
REDIS_URL is set, else the embedded one (the bus, the waiting room's queue store). Tests and
benchmarks may put another in its place."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from ticketing.settings import get_settings

T = TypeVar("T")


class ProcessWide(Generic[T]):
    """`get()` the process's object, made by `redis(url)` or `embedded()` on first use;
    `set(other)` replaces it (None: made again on the next `get`)."""

    def __init__(self, *, redis: Callable[[str], T], embedded: Callable[[], T]) -> None:
        self._redis, self._embedded = redis, embedded
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                url = get_settings().redis_url
                self._value = self._redis(url) if url else self._embedded()
            return self._value

    def set(self, value: T | None) -> None:
        with self._lock:
            self._value = value
