"""The FastAPI application serving /api/v1."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from ticketing.api import (
    auth,
    broker,
    broker_analytics,
    catalog,
    dev,
    door,
    events,
    health,
    ledger,
    orgs,
    promotions,
    sales,
    seating,
    share,
    webhooks,
)
from ticketing.api.admission import AdmissionGate
from ticketing.api.guards import BodyLimit, SecurityHeaders, UploadGate
from ticketing.api.openapi_doc import document_problems
from ticketing.api.problems import install_problem_handlers
from ticketing.jobs.worker import run_jobs
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
        lifespan=_job_worker,
    )
    install_problem_handlers(api)
    # Only big bodies (a scanner's offline ticket list) are worth compressing.
    api.add_middleware(GZipMiddleware, minimum_size=50_000)

    # A stampede waits its turn at the door (no thread, no connection) rather than in the pool.
    api.add_middleware(AdmissionGate, prefix=PREFIX)
    api.add_middleware(WorkerHeader)
    api.add_middleware(UploadGate)  # an anonymous upload is refused before its body is read
    # Outermost (added last): mounted into Reflex, this app wraps the pages and /_upload too.
    api.add_middleware(SecurityHeaders, settings=get_settings())
    api.add_middleware(BodyLimit)

    v1 = APIRouter(prefix=PREFIX)
    for module in (auth, orgs, events, catalog, sales, promotions, webhooks, seating, door, broker, broker_analytics,
                   ledger):
        v1.include_router(module.router)
    api.include_router(v1)
    api.include_router(health.router)
    api.include_router(share.router)  # /events/{id} HTML with the event's link preview
    if get_settings().is_development:  # the mail outbox: never outside an explicit development run
        api.include_router(dev.router)
    document_problems(api)
    return api


@contextlib.asynccontextmanager
async def _job_worker(_api: FastAPI) -> AsyncIterator[None]:
    """Served alone (uvicorn, granian), each API process works the job queue too. Mounted in
    the Reflex app, this lifespan does not run: the app's own lifespan task does it."""
    task = asyncio.create_task(run_jobs())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


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
