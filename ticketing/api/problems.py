"""application/problem+json (RFC 9457) responses with stable `code`s."""

from __future__ import annotations

import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ticketing.db_budget import BUSY_MESSAGE, is_transient, transient_kind
from ticketing.services.errors import ServiceError

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
PROBLEM_TYPE_BASE = "https://ticketing.example/problems/"


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        **{k: _jsonable(v) for k, v in extra.items()},
    }
    headers = {"Retry-After": "1"} if status == 503 else None
    if status == 429:
        headers = {"Retry-After": str(extra.get("retry_after", 1))}
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _validation_errors(exc: RequestValidationError) -> tuple[int, str, str, list[dict[str, Any]]]:
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "type": err.get("type", ""), "msg": err.get("msg", "")}
        for err in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return 400, "malformed_json", "The request body is not valid JSON.", errors
    if any(e["type"] == "invalid_text" for e in errors):
        first = next(e for e in errors if e["type"] == "invalid_text")
        return 422, "invalid_text", first["msg"] + ".", errors
    if any(e["type"] == "extra_forbidden" for e in errors):
        names = ", ".join(e["loc"][-1] for e in errors if e["type"] == "extra_forbidden")
        return 422, "unknown_field", f"Unknown field(s): {names}.", errors
    first = errors[0] if errors else {"loc": [], "msg": "invalid"}
    where = ".".join(p for p in first["loc"] if p != "body") or "request"
    return 422, "validation_error", f"{where}: {first['msg']}", errors


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error (domain, validation, HTTP, unexpected) to problem+json."""

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, detail, errors = _validation_errors(exc)
        return problem(status, code, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated", 403: "forbidden"}
        code = codes.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, code, detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A database failure a retry may get past (pool exhausted, connection lost, server
        # restarting) that no scope turned into `busy` yet: still a 503, never a 500.
        if is_transient(exc):
            log.warning("busy: %s", transient_kind(exc))
            return problem(503, "busy", BUSY_MESSAGE)
        # A bug: logged with an id the client can quote; the client gets no stack trace.
        given = request.headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex  # never log raw input
        log.error("internal error, request %s %s %s", request_id, request.method, request.url.path, exc_info=exc)
        response = problem(500, "internal_error", "Something went wrong on our side; nothing was changed.",
                           request_id=request_id)
        response.headers["X-Request-ID"] = request_id
        return response
