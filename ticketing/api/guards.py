"""ASGI guards around the whole backend (the API, and the Reflex app mounted inside it): request
body caps, the caller of an upload, and the security headers of every response.

Plain ASGI middlewares, like WorkerHeader: Starlette's BaseHTTPMiddleware would stream every
response through a task (see app.py)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

from ticketing.api.deps import bearer_token
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.services.errors import ServiceError
from ticketing.settings import Settings

KB, MB = 1024, 1024 * 1024
# The largest body each path may send, first match wins: sign-in and registration are tiny; an
# upload is one 5 MB cover image plus its multipart framing; the API's biggest body is a venue
# layout (a 20,000-seat layout is about 2 MB of JSON).
BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/api/v1/auth/", 16 * KB),
    ("/api/v1/webhooks/", 1 * MB),
    ("/_upload", 5 * MB + 64 * KB),
    ("/api/", 8 * MB),
    ("/", 1 * MB),
)


def body_limit(path: str) -> int:
    return next(limit for prefix, limit in BODY_LIMITS if path.startswith(prefix))


def _problem(status: int, code: str, title: str, detail: str) -> tuple[dict, dict]:
    """A problem+json answer as ASGI messages; the connection closes (a body the client may
    still be sending is never read)."""
    body = json.dumps({"type": f"https://ticketing.example/problems/{code}", "title": title, "status": status,
                       "code": code, "detail": detail}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close")]}
    return start, {"type": "http.response.body", "body": body}


def _too_large(limit: int) -> tuple[dict, dict]:
    return _problem(413, "body_too_large", "Content Too Large", f"The request body is larger than {limit // KB} KB.")


class BodyLimit:
    """Refuse a body over its path's limit with 413 `body_too_large`: at once when its
    Content-Length says so, else as soon as the bytes read pass the limit (the app sees the
    client go away and stops; nothing beyond the limit is read into memory)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", "/"))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            for message in _too_large(limit):
                await send(message)
            return
        seen, started, refused = 0, False, False

        async def counted_receive():
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        for reply in _too_large(limit):
                            await send(reply)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)


class UploadGate:
    """Refuse an upload (POST /_upload) from a caller without a valid token before one byte of
    its body is read: 401 problem+json `not_authenticated`. The page sends its token in the
    Authorization header (rx.upload_files_chunk's extra headers); the handler then checks the
    caller's role in the event's organization, still before reading, as every handler does."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope.get("path", "").startswith("/_upload"):
            await self.app(scope, receive, send)
            return
        authorization = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        try:
            await asyncio.to_thread(accounts.user_id_from_token, token=bearer_token(authorization), now=utcnow())
        except ServiceError as exc:
            for message in _problem(401, "not_authenticated", "Unauthorized",
                                    f"{exc.message} Uploads need a signed-in caller."):
                await send(message)
            return
        await self.app(scope, receive, send)


def _origin(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(settings: Settings) -> str:
    """The page's CSP. Reflex evaluates scripts it sends (rx.call_script) and its components
    style inline, so script and style keep 'unsafe-inline'/'unsafe-eval'; what the policy buys is
    no framing (clickjacking), no plugins, no <base> or form hijack, and connections, images
    and frames only to ourselves and Stripe."""
    stripe = " ".join(o for o in {_origin(settings.stripe_js_url), _origin(settings.stripe_api_base)} if o)
    stripe_frames = "https://js.stripe.com https://hooks.stripe.com" + (f" {stripe}" if stripe else "")
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' 'unsafe-eval' {stripe}".strip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        f"connect-src 'self' {stripe}".strip(),
        f"frame-src {stripe_frames}",
        "worker-src 'self' blob:",
        "media-src 'self' blob: mediastream:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy(settings).encode()),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-content-type-options", b"nosniff"),
        (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=(self)"),
    ]
    if settings.is_production:  # a laptop on http://localhost must not pin https for a year
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


class SecurityHeaders:
    """Add the security headers to every HTTP response (those a route set itself stay)."""

    def __init__(self, app, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)



def nginx_header_lines(settings: Settings, indent: str = "") -> str:
    """The same headers as nginx `add_header` lines, for the files nginx serves itself (the
    built frontend, deploy/cluster): one policy, whoever answers."""
    return "\n".join(f'{indent}add_header {name.decode()} "{value.decode()}" always;'
                     for name, value in security_headers(settings))

