"""The one domain error type. Its `code` is stable: the API and the UI branch on it."""

from __future__ import annotations

from typing import Any

# HTTP status per code; anything unlisted is a 409 conflict with the current state.
STATUS_BY_CODE: dict[str, int] = {
    "invalid_input": 422,
    "not_authenticated": 401,
    "invalid_token": 401,
    "invalid_credentials": 401,
    "forbidden": 403,
    "not_found": 404,
    "busy": 503,
}


class ServiceError(Exception):
    """A use case refused: `code` for machines, `message` for people, `extra` for details."""

    def __init__(self, code: str, message: str, *, status: int | None = None, **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, 409)
        self.extra = extra

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r})"


def not_found(what: str = "object") -> ServiceError:
    """404 for unknown ids and for other organizations' objects alike."""
    return ServiceError("not_found", f"No such {what}.", status=404)


def invalid(code: str, message: str, **extra: Any) -> ServiceError:
    """422: the request is well-formed but its values are not acceptable."""
    return ServiceError(code, message, status=422, **extra)
