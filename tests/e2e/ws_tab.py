"""A browser tab without a browser: speaks the app's websocket protocol as the compiled frontend
does (python-socketio on /_event; the hydrate_and_load event rides in the CONNECT packet with
the tab's localStorage values, as in bench/live.py), then sends any event a client may send,
with whatever token (or none) a test chooses. What the server sends back is kept as text."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

NAMESPACE = "/_event"
HYDRATE = "reflex___state____state.hydrate_and_load"
FIELD_MARKER = "_rx_state_"


def handler_name(state_cls: Any, handler: str) -> str:
    return f"{state_cls.get_full_name()}.{handler}"


class Tab:
    """One tab on one page; `frames` holds every update the server pushed, as JSON text."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client_token = str(uuid.uuid4())
        self.frames: list[str] = []
        self.router_data: dict[str, Any] = {}
        self.sio: Any = None

    async def open(self, path: str, query: dict[str, str] | None = None, *, auth_token: str = "") -> None:
        import socketio

        from ticketing.state.auth import AuthState

        self.router_data = {"pathname": path, "asPath": path, "query": query or {}}
        stored = {f"{AuthState.get_full_name()}.token{FIELD_MARKER}": auth_token} if auth_token else {}
        boot = {"name": HYDRATE, "payload": {"vars": stored}, "router_data": self.router_data}
        self.sio = socketio.AsyncClient(reconnection=False)

        @self.sio.on("event", namespace=NAMESPACE)
        async def _on_event(update):
            self.frames.append(json.dumps(update, ensure_ascii=False))

        await self.sio.connect(f"{self.base_url}?token={self.client_token}", transports=["websocket"],
                               socketio_path=NAMESPACE, namespaces=[NAMESPACE], auth={"event": boot},
                               wait_timeout=60)

    async def send(self, state_cls: Any, handler: str, **payload: Any) -> None:
        await self.sio.emit("event", {"name": handler_name(state_cls, handler), "payload": payload,
                                      "router_data": self.router_data}, namespace=NAMESPACE)

    def text(self) -> str:
        return "\n".join(self.frames)

    async def wait_for(self, *needles: str, since: int = 0, timeout: float = 60) -> str:
        """The frames (from index `since`) once one of `needles` shows in them (AssertionError
        after `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = "\n".join(self.frames[since:])
            if any(n in text for n in needles):
                return text
            await asyncio.sleep(0.1)
        raise AssertionError(f"none of {needles} arrived; got: {self.text()[-3000:]}")

    async def quiet(self, seconds: float = 1.5) -> str:
        """Let the handler's last updates arrive (a pause without frames), then the frames."""
        count = -1
        while count != len(self.frames):
            count = len(self.frames)
            await asyncio.sleep(seconds)
        return self.text()

    async def close(self) -> None:
        if self.sio is not None:
            await self.sio.disconnect()
