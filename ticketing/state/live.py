"""Glue between the worker's live hub and Reflex: pushing vars straight to watching tabs.

The hub sends each watching tab a frontend-only state update (the same small frame for every
tab), without loading or locking that tab's server-side state.
"""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from engineio import packet as eio_packet
from reflex import constants
from reflex.state import StateUpdate
from socketio import packet as sio_packet

from ticketing.realtime.hub import LiveHub
from ticketing.realtime.views import apply_delta, load_snapshot

_app: rx.App | None = None
_view_states: dict[str, type[rx.State]] = {}


def bind_app(app: rx.App) -> None:
    global _app
    _app = app


def register_view(view: str, state_cls: type[rx.State]) -> None:
    """Pushes for `view` update these vars of `state_cls` (same names as the view's keys)."""
    _view_states[view] = state_cls


def _delta_for(state_cls: type[rx.State], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    fields = {}
    for name, value in values.items():
        var = getattr(state_cls, name)
        fields[var._js_expr.rsplit(".", 1)[-1]] = value
    return {state_cls.get_full_name(): fields}


async def emit_to_tabs(tokens: list[str], view: str, values: dict[str, Any]) -> list[str]:
    """Send the same `values` to many tabs of one view in one emit; returns the tokens that are
    not connected to this worker. socket.io encodes the frame once and queues it to every socket,
    instead of one encode and one event-loop round trip per tab (bench/live.py: about half the
    worker CPU per update with 500 tabs)."""
    if _app is None or _app.event_namespace is None:
        return list(tokens)
    namespace = _app.event_namespace
    sids, gone = [], []
    for token in tokens:
        sid = _local_sid(namespace, token)
        if sid is None:
            gone.append(token)
        else:
            sids.append(sid)
    if sids:
        update = StateUpdate(delta=_delta_for(_view_states[view], values))
        await send_to_sids(namespace.server, namespace.namespace, str(constants.SocketEvent.EVENT), update, sids)
    return gone


async def send_to_sids(server: Any, namespace: str, event: str, data: Any, sids: list[str]) -> None:
    """What `server.emit(event, data, to=sids, namespace=namespace)` does, without its cost per
    recipient: python-socketio encodes the packet once but then creates an asyncio task per
    socket (bench/live.py: a tenth of the worker's CPU at 500 tabs). Here each socket's queue
    gets the same engine.io packet straight away (send_packet only enqueues; each socket's own
    writer task sends it)."""
    pkt = server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data])
    encoded = pkt.encode()
    if isinstance(encoded, list):  # binary attachments: leave them to python-socketio
        await server.emit(event, data, to=sids, namespace=namespace)
        return
    frame = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    for sid in sids:
        eio_sid = server.manager.eio_sid_from_sid(sid, namespace)
        if eio_sid is not None:
            await server.eio.send_packet(eio_sid, frame)


def _local_sid(namespace: Any, token: str) -> str | None:
    """The socket of `token` if it is connected to this worker, as Reflex's own emit_update
    finds it. Not `namespace.token_to_sid`: that property copies the whole token table on every
    call, which made a fan-out quadratic in the number of connected tabs (bench/live.py)."""
    manager = namespace._token_manager
    record = manager.token_to_socket.get(token)
    if record is None or record.instance_id != manager.instance_id:
        return None  # gone, or a cached record of a socket on another worker
    return record.sid


hub = LiveHub(load_snapshot=load_snapshot, apply_delta=apply_delta, emit=emit_to_tabs)


class LiveEventMixin(rx.State, mixin=True):
    """What every page watching one event live shares: the route's event id, registering the tab
    with this worker's hub, leaving on unmount, and polling while live updates are paused."""

    version: int = 0
    live: bool = True

    def _route_event_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("event_id", "")))
        except ValueError:
            return None

    def _watch(self, event_id: uuid.UUID, view: str, version: int) -> None:
        self.version, self.live = version, hub.bus_up
        hub.watch(self.router.session.client_token, str(event_id), view, version)

    @rx.event
    def leave(self):
        """on_unmount: stop receiving this event's updates."""
        hub.unwatch(self.router.session.client_token)

    @rx.event
    async def refresh(self):
        """Polled every 10 s while live updates are paused: reload the page's data."""
        if not self.live:
            return type(self).load
