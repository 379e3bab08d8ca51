"""The FastAPI application serving /api/v1."""

from __future__ import annotations

import os

from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from ticketing.api import (
    auth,
    catalog,
    dev,
    door,
    events,
    ledger,
    orgs,
    sales,
    seating,
    webhooks,
)
from ticketing.api.problems import install_problem_handlers
from ticketing.settings import get_settings

PREFIX = "/api/v1"


def create_api() -> FastAPI:
    """JSON API v1; mounted into the Reflex app, or served alone by uvicorn."""
    api = FastAPI(
        title="Ticketing API",
        version="1",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    install_problem_handlers(api)
    # Only big bodies (a scanner's offline ticket list) are worth compressing.
    api.add_middleware(GZipMiddleware, minimum_size=50_000)

    api.add_middleware(WorkerHeader)

    v1 = APIRouter(prefix=PREFIX)
    for module in (auth, orgs, events, catalog, sales, webhooks, seating, door, ledger):
        v1.include_router(module.router)
    api.include_router(v1)
    if not get_settings().is_production:
        api.include_router(dev.router)
    return api


class WorkerHeader:
    """Say which worker process answered (X-Worker), for operators and the multi-worker tests.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware (@app.middleware("http")) streams
    every response through a task and a memory channel, which cost the door's scan route about
    50 ms per request (bench/checkin.py, API layer)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-worker", str(os.getpid()).encode())]}
            await send(message)

        await self.app(scope, receive, send_with_header)
