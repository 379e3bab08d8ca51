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

    sent: list[tuple[object, object, object, list[str]]] = []

    async def send(server, namespace, event, data, sids):
        sent.append((namespace, event, data, sids))

    manager = LocalTokenManager()
    asyncio.run(_linked(manager, "tok-a", "sid-a"))
    asyncio.run(_linked(manager, "tok-b", "sid-b"))
    manager.token_to_socket["tok-remote"] = SocketRecord(instance_id="another-worker", sid="sid-9")
    namespace = SimpleNamespace(_token_manager=manager, server=object(), namespace="/_event")
    monkeypatch.setattr(live, "_app", SimpleNamespace(event_namespace=namespace))
    monkeypatch.setattr(live, "send_to_sids", send)

    gone = asyncio.run(live.emit_to_tabs(["tok-a", "tok-remote", "tok-b", "tok-gone"], "customer", {"version": 3}))

    assert gone == ["tok-remote", "tok-gone"]
    assert len(sent) == 1  # one frame, encoded once, for both local tabs
    ns, event, update, sids = sent[0]
    assert (ns, event, sids) == ("/_event", "event", ["sid-a", "sid-b"])
    assert update.delta == {EventPageState.get_full_name(): {"version_rx_state_": 3}}


def test_sending_to_many_sockets_puts_what_socketio_emit_would_in_each_sockets_queue():
    import socketio

    from ticketing.state.live import send_to_sids

    async def scenario():
        server = socketio.AsyncServer(async_mode="asgi")
        packets: list[tuple[str, str]] = []

        async def send_packet(eio_sid, pkt):
            packets.append((eio_sid, pkt.encode()))

        server.eio.send_packet = send_packet
        sids = [await server.manager.connect(f"eio-{i}", "/_event") for i in range(3)]
        data = {"delta": {"state": {"count": 7, "name": "Äpfel"}}}
        await server.emit("event", data, to=sids, namespace="/_event")
        theirs = sorted(packets)
        packets.clear()
        await send_to_sids(server, "/_event", "event", data, [*sids, "sid-not-here"])
        return theirs, sorted(packets)

    theirs, ours = asyncio.run(scenario())
    assert len(ours) == 3 and ours == theirs  # the same bytes to the same sockets, gone ones skipped
