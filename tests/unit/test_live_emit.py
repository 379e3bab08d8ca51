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


def test_one_emit_reaches_every_tab_connected_here_and_names_the_others(monkeypatch):
    from ticketing.state import live
    from ticketing.state.event_page import EventPageState

    sent: list[tuple[str, object, object]] = []

    class Namespace:
        def __init__(self, manager: LocalTokenManager) -> None:
            self._token_manager = manager

        async def emit(self, event, data, to=None):
            sent.append((event, data, to))

    manager = LocalTokenManager()
    asyncio.run(_linked(manager, "tok-a", "sid-a"))
    asyncio.run(_linked(manager, "tok-b", "sid-b"))
    manager.token_to_socket["tok-remote"] = SocketRecord(instance_id="another-worker", sid="sid-9")
    monkeypatch.setattr(live, "_app", SimpleNamespace(event_namespace=Namespace(manager)))

    gone = asyncio.run(live.emit_to_tabs(["tok-a", "tok-remote", "tok-b", "tok-gone"], "customer", {"version": 3}))

    assert gone == ["tok-remote", "tok-gone"]
    assert len(sent) == 1  # one frame, encoded once, for both local tabs
    event, update, to = sent[0]
    assert event == "event" and to == ["sid-a", "sid-b"]
    assert update.delta == {EventPageState.get_full_name(): {"version_rx_state_": 3}}
