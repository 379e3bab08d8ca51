"""A tab's state lock is given back when the event taking it is cancelled as it gets it.

Reflex (0.10.1) cancels a tab's unfinished page load when the tab goes to another page: the event
page's on_load chain, say, when its redirect to the waiting room reaches the browser before the
chain is done. An event cancelled while it waits for the tab's lock can be cancelled after Redis
has already given it the lock (SET NX sent, its answer not yet read): Reflex never learns that it
holds it, never releases it, and the tab's next events wait for its expiry, 10 s. On
bench/onsale.py --waiting-room, 31 such cancellations in one run of 1,000 arrivals; every one of
them left its lock behind, and 1 to 5% of arrivals took 10 s.

Here a wait for the lock that ends in an exception deletes the lock if it holds this waiter's id
(shielded, so a further cancellation cannot stop it) and tells the next waiter of this process (a
waiter elsewhere hears the deletion from Redis). Installed once, when the app module is imported.
"""

from __future__ import annotations

import asyncio

from reflex.istate.manager.redis import StateManagerRedis

# Delete the lock only while it holds this waiter's id (else it is someone else's, or gone).
_RELEASE_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def install() -> None:
    original = StateManagerRedis._wait_lock
    if getattr(original, "releases_when_cancelled", False):
        return

    async def wait_lock(self: StateManagerRedis, lock_key: bytes, lock_id: bytes) -> None:
        try:
            await original(self, lock_key, lock_id)
        except BaseException:
            await asyncio.shield(self.redis.eval(_RELEASE_IF_OURS, 1, lock_key, lock_id))
            self._notify_next_waiter(lock_key)
            raise

    wait_lock.releases_when_cancelled = True  # type: ignore[attr-defined]
    StateManagerRedis._wait_lock = wait_lock  # type: ignore[method-assign]
