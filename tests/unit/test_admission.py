"""The queue at each worker's door: requests beyond the limit wait their turn, in order, and
get 503 `busy` with Retry-After only when their turn does not come in time."""

from __future__ import annotations

import asyncio
import json

from ticketing.api.admission import AdmissionGate


def _app(release: asyncio.Event, served: list[str]):
    async def app(scope, receive, send):
        served.append(scope["path"])
        if scope["path"].endswith("/slow"):
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
    return app


async def _call(gate: AdmissionGate, path: str) -> tuple[int, dict, dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await gate({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, json.loads(body)


def test_requests_past_the_limit_wait_their_turn_then_get_busy():
    async def scenario():
        release, served = asyncio.Event(), []
        gate = AdmissionGate(_app(release, served), prefix="/api/v1", limit=1, timeout_s=0.3)
        first = asyncio.ensure_future(_call(gate, "/api/v1/slow"))
        await asyncio.sleep(0.05)
        status, headers, body = await _call(gate, "/api/v1/fast")  # the one slot is taken
        assert (status, body["code"]) == (503, "busy")
        assert headers["retry-after"] and headers["content-type"] == "application/problem+json"
        assert (await _call(gate, "/healthz"))[0] == 200  # outside the API: never queued

        waiting = asyncio.ensure_future(_call(gate, "/api/v1/fast"))  # its turn comes in time
        await asyncio.sleep(0.05)
        release.set()
        assert (await first)[0] == 200 and (await waiting)[0] == 200
        assert served == ["/api/v1/slow", "/healthz", "/api/v1/fast"]

    asyncio.run(scenario())
