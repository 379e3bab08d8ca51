"""Finding a watching tab's socket for a push: this worker's sockets only, in constant time."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from reflex.utils.token_manager import LocalTokenManager, SocketRecord

from ticketing.state.live import _local_sid


def _namespace(manager: LocalTokenManager) -> SimpleNamespace:
    return SimpleNamespace(_token_manager=manager)


async def _linked(manager: LocalTokenManager, token: str, sid: str) -> None:
    assert await manager.link_token_to_sid(token, sid) is None


def test_a_tab_connected_here_is_found_by_its_token():
    manager = LocalTokenManager()
    asyncio.run(_linked(manager, "tok-1", "sid-1"))
    assert _local_sid(_namespace(manager), "tok-1") == "sid-1"
    assert _local_sid(_namespace(manager), "tok-unknown") is None


def test_a_socket_record_of_another_worker_is_not_pushed_to_from_here():
    manager = LocalTokenManager()
    manager.token_to_socket["tok-remote"] = SocketRecord(instance_id="another-worker", sid="sid-9")
    assert _local_sid(_namespace(manager), "tok-remote") is None


def test_the_lookup_does_not_copy_the_token_table():
    # namespace.token_to_sid rebuilds a mapping of every connected tab on each call: a fan-out
    # to N tabs through it costs N^2. The lookup must read the token manager's table directly.
    class Table(dict):
        def items(self):  # what a copy of the whole table iterates
            raise AssertionError("the whole token table was copied")

    manager = LocalTokenManager()
    manager.token_to_socket = Table(tok=SocketRecord(instance_id=manager.instance_id, sid="sid-1"))
    assert _local_sid(_namespace(manager), "tok") == "sid-1"
