"""Development only: the local mail outbox (mails land there when no SMTP_HOST is set).

Never mounted in production."""

from __future__ import annotations

import base64
import html
from email import message_from_bytes, policy

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse

from ticketing.notifications.mailer import outbox_messages
from ticketing.services.errors import not_found

router = APIRouter(prefix="/dev", tags=["development"], include_in_schema=False)


@router.get("/outbox", response_class=HTMLResponse)
def outbox() -> str:
    rows = []
    for path in outbox_messages():
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        rows.append(f"<li><a href='/dev/outbox/{html.escape(path.name)}'>{html.escape(path.stem)}</a> — "
                    f"to {html.escape(str(msg['To']))}: {html.escape(str(msg['Subject']))}</li>")
    return ("<!doctype html><title>Outbox</title><h1>Mail outbox (development)</h1><ul>" + "".join(rows)
            + "</ul>" + ("" if rows else "<p>No mail yet.</p>"))


@router.get("/outbox/{name}", response_model=None)
def outbox_message(name: str) -> HTMLResponse | PlainTextResponse:
    """The HTML part of one message (QR images inline), or its text."""
    match = next((p for p in outbox_messages(500) if p.name == name), None)
    if match is None:
        raise not_found("message")
    msg = message_from_bytes(match.read_bytes(), policy=policy.default)
    body = msg.get_body(preferencelist=("html",))
    if body is None:
        return PlainTextResponse(msg.get_body(preferencelist=("plain",)).get_content())
    content = body.get_content()
    for part in msg.walk():  # inline the QR codes so the browser shows them
        cid = part.get("Content-ID")
        if cid and part.get_content_type() == "image/png":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            content = content.replace(f"cid:{cid.strip('<>')}", f"data:image/png;base64,{data}")
    return HTMLResponse(content)
