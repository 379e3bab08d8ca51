"""/healthz (the process answers) and /readyz (its database and Redis answer), for load
balancers and orchestrators. Outside /api/v1: they are about the process, not the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ticketing.api.problems import problem
from ticketing.db import session_scope
from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
async def healthz() -> dict[str, str]:
    """The process is up (no dependency is asked)."""
    return {"status": "ok"}


def _database() -> str:
    try:
        with session_scope(readonly=True) as db:
            db.execute(text("SELECT 1"))
        return "ok"
    except (ServiceError, SQLAlchemyError):  # unreachable, refused, no pooled connection in time
        return "unreachable"


def _redis() -> str:
    url = get_settings().redis_url
    if not url:
        return "not_configured"  # the in-process bus: nothing to reach
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except redis.RedisError:
        return "unreachable"


@router.get("/readyz", responses={503: {"description": "not_ready"}})
def readyz() -> Any:
    """The database and (when configured) Redis answer: 200, else 503 `not_ready` saying which."""
    checks = {"database": _database(), "redis": _redis()}
    if "unreachable" in checks.values():
        down = ", ".join(name for name, state in checks.items() if state == "unreachable")
        return problem(503, "not_ready", f"Not ready: {down} unreachable.", checks=checks)
    return JSONResponse({"status": "ready", "checks": checks})
