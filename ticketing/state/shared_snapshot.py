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

from typing import Any, ClassVar

import reflex as rx

from ticketing import snapshot_store


class SharedSnapshot(rx.State, mixin=True):
    """Fields named in `_shared_fields` are pickled as one shared snapshot's key."""

    _shared_fields: ClassVar[tuple[str, ...]] = ()
    _snapshot_key: str = ""

    async def _share(self) -> None:
        """Store the shared fields' current values (call after setting them all)."""
        values = {name: getattr(self, name) for name in self._shared_fields}
        self._snapshot_key = await snapshot_store.store.put(values)

    def __getstate__(self):
        fields = dict(super().__getstate__())
        key = fields.get("_snapshot_key")
        shared = {name: fields.get(name) for name in self._shared_fields}
        if key and snapshot_store.store.url and snapshot_store.store.holds(key, shared):
            for name in self._shared_fields:
                fields.pop(name, None)
        return fields

    def __setstate__(self, state: dict[str, Any]):
        key = state.get("_snapshot_key")
        if key and not all(name in state for name in self._shared_fields):
            values = snapshot_store.store.get(key)
            if values is None:
                state["_snapshot_key"] = ""  # expired: the fields keep their defaults until the next load
            else:
                state.update(values)
        super().__setstate__(state)
