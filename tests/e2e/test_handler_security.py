"""Issue 16 at the websocket, as a browser (or a script posing as one) would speak to the real
app: handlers called with a stale token, with none, or by another organization's staff, and
uploads sent by nobody. Each case failed on the app before issue 16."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from tests.builders import make_workshop
from tests.e2e.ws_tab import Tab, handler_name
from tests.payments_helpers import make_shop, order_for
from ticketing.db import session_scope
from ticketing.models import Event, EventSession, Organization, TicketType, User, Venue
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts
from ticketing.services.accounts.tokens import issue_token
from ticketing.state import auth as auth_state
from ticketing.state.auth import AuthState
from ticketing.state.cart import CartState
from ticketing.state.console.sessions import SessionsState
from ticketing.state.console.setup import SetupState
from ticketing.state.orgs import OrgState
from ticketing.state.password_reset import PasswordResetState
from ticketing.state.seat_admin import SeatAdminState
from ticketing.state.tickets import TicketsState
from ticketing.state.venues import VenueState

pytestmark = pytest.mark.e2e


def run(coro) -> object:
    """Run a coroutine in a thread of its own: Playwright may hold this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def answer_to_headers_only(base_url: str, path: str, headers: dict[str, str]) -> str:
    """Send a POST's headers and not one byte of its body: the whole answer, as text (a server
    that wanted the body would wait for it and time out)."""
    host, port = base_url.split("//", 1)[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write((head + "\r\n").encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    body = await asyncio.wait_for(reader.readexactly(length), 30)
    writer.close()
    return (head + body).decode(errors="replace")


async def status_of_headers_only(base_url: str, path: str, headers: dict[str, str]) -> int:
    return int((await answer_to_headers_only(base_url, path, headers)).split()[1])


def token_for(user_id: uuid.UUID) -> str:
    with session_scope(readonly=True) as db:
        return issue_token(user_id=user_id, token_version=db.get(User, user_id).token_version, now=utcnow())


def test_signing_out_everywhere_stops_an_open_tab_from_reading_tickets(app_url):
    """Finding 4: the version is re-checked on the open websocket (within RECHECK_SECONDS)."""
    shop = make_shop(capacity=2)
    order = order_for(shop)
    token = token_for(shop.buyer_id)

    async def journey() -> str:
        tab = Tab(app_url)
        await tab.open("/tickets", auth_token=token)
        await tab.wait_for(order.number)
        with session_scope() as db:
            accounts.sign_out_everywhere(db=db, user_id=shop.buyer_id)  # e.g. from the phone
        await asyncio.sleep(getattr(auth_state, "RECHECK_SECONDS", 5) + 0.5)
        before = len(tab.frames)
        await tab.send(TicketsState, "load")
        await tab.wait_for("/login")
        after = "\n".join(tab.frames[before:])
        await tab.close()
        return after

    after = run(journey())
    assert order.number not in after and '"/login' in after


def test_anonymous_console_saves_deletes_and_call_offs_are_refused_and_say_so(app_url):
    """Finding 5: a refused call says so (it showed "Session deleted." before)."""
    with session_scope() as db:
        w = make_workshop(db)

    async def journey() -> str:
        tab = Tab(app_url)
        await tab.open(f"/manage/events/{w.event_id}/sessions", {"event_id": str(w.event_id)})
        await tab.quiet()
        await tab.send(SessionsState, "delete", session_id=str(w.day3))
        await tab.wait_for("not signed in")
        await tab.send(SessionsState, "call_off", session_id=str(w.day2))
        await tab.send(SetupState, "save_details", form={"title": "Hijacked", "location": "x", "category": "",
                                                          "timezone": "UTC", "description": ""})
        text = await tab.quiet(2)
        await tab.close()
        return text

    text = run(journey())
    assert "Session deleted" not in text and "Session called off" not in text and "Details saved" not in text
    assert text.count("not signed in") >= 2
    with session_scope(readonly=True) as db:
        assert db.get(Event, w.event_id).title != "Hijacked"
        assert db.get(EventSession, w.day3) is not None and db.get(EventSession, w.day2).status == "scheduled"


def test_choosing_another_organizations_session_lists_none_of_its_ticket_types(app_url):
    """Finding 5: VenueState.choose_session goes through the role check."""
    with session_scope() as db:
        mine = make_workshop(db)
        theirs = make_workshop(db)  # a draft of another organization
    with session_scope(readonly=True) as db:
        their_types = list(db.exec(select(TicketType.name).where(TicketType.event_id == theirs.event_id)).all())
    token = token_for(mine.owner_id)

    async def journey() -> str:
        tab = Tab(app_url)
        await tab.open("/manage/venues", auth_token=token)
        await tab.quiet()
        before = len(tab.frames)
        await tab.send(VenueState, "choose_session", key=f"{theirs.event_id}/{theirs.day1}")
        await tab.wait_for("No such event")
        text = "\n".join(tab.frames[before:])
        await tab.close()
        return text

    text = run(journey())
    assert their_types and not any(name in text for name in their_types)


def test_an_anonymous_cover_upload_is_refused_before_its_body_is_read(app_url):
    """Finding 2: past 5 MB by its length: 413 at once; smaller, from nobody: refused by the
    handler before reading, and nothing is stored."""
    with session_scope() as db:
        w = make_workshop(db)

    async def journey() -> tuple[int, int, str]:
        tab = Tab(app_url)
        await tab.open(f"/manage/events/{w.event_id}/setup", {"event_id": str(w.event_id)})
        await tab.quiet()
        headers = {"reflex-client-token": tab.client_token,
                   "reflex-event-handler": handler_name(SetupState, "upload_cover")}
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        multipart = {"content-type": "multipart/form-data; boundary=x"}
        big = await status_of_headers_only(app_url, "/_upload", {**headers, **multipart,
                                                                 "content-length": str(7 * 1024 * 1024)})
        # Small, from nobody: refused on its headers alone (the server does not wait for the body).
        small = await status_of_headers_only(app_url, "/_upload", {**headers, **multipart, "content-length": "200"})
        forged = await status_of_headers_only(app_url, "/_upload", {**headers, **multipart, "content-length": "200",
                                                                    "authorization": "Bearer forged.token.here"})
        answer = await answer_to_headers_only(app_url, "/_upload", {**headers, **multipart, "content-length": "200"})
        text = await tab.quiet(2)
        await tab.close()
        return big, small, forged, answer, text

    big, small, forged, answer, text = run(journey())
    assert (big, small, forged) == (413, 401, 401)
    assert "application/problem+json" in answer and '"code": "not_authenticated"' in answer
    assert "Cover image saved" not in text
    with session_scope(readonly=True) as db:
        assert not db.get(Event, w.event_id).cover_image


def test_another_organizations_owner_cannot_upload_a_cover(app_url):
    """A valid token gets past the gate; the handler checks the role before reading the file."""
    with session_scope() as db:
        w = make_workshop(db)
        other = make_workshop(db)
    token = token_for(other.owner_id)

    async def journey() -> tuple[int, str]:
        tab = Tab(app_url)
        await tab.open(f"/manage/events/{w.event_id}/setup", {"event_id": str(w.event_id)}, auth_token=token)
        await tab.quiet()
        before = len(tab.frames)
        headers = {"reflex-client-token": tab.client_token, "authorization": f"Bearer {token}",
                   "reflex-event-handler": handler_name(SetupState, "upload_cover")}
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        async with httpx.AsyncClient(base_url=app_url, timeout=60) as http:
            sent = await http.post("/_upload", headers=headers, files={"files": ("c.png", png, "image/png")})
        await tab.wait_for("No such event", since=before)
        text = await tab.quiet(2)
        await tab.close()
        return sent.status_code, text

    status, text = run(journey())
    assert status in (202, 400) and "Cover image saved" not in text
    with session_scope(readonly=True) as db:
        assert not db.get(Event, w.event_id).cover_image


def test_the_sign_in_page_is_throttled_and_says_so(app_url):
    """Finding 3 on the page: after the failures allowed per account, even the right password
    is refused for a while, with a message saying how long (the API's limits, shared in Redis)."""
    email = f"page-{uuid.uuid4().hex[:10]}@example.com"
    with session_scope() as db:
        accounts.register_user(db=db, email=email, password="the right password", name="Paula", now=utcnow())

    async def journey() -> tuple[str, str]:
        tab = Tab(app_url)
        await tab.open("/login")
        await tab.quiet()
        for attempt in range(5):
            before = len(tab.frames)
            await tab.send(AuthState, "sign_in", form={"email": email, "password": f"wrong {attempt}"})
            await tab.wait_for("Wrong email or password", since=before)
        before = len(tab.frames)
        await tab.send(AuthState, "sign_in", form={"email": email, "password": "the right password"})
        await tab.wait_for("Too many attempts")
        text = await tab.quiet()
        await tab.close()
        return "\n".join(tab.frames[before:]), text

    last, _ = run(journey())
    assert "Too many attempts" in last and '"signed_in_rx_state_": true' not in last


async def refusals(tab: Tab, calls: list[tuple[object, str, dict]], needle: str) -> list[str]:
    """Send each call; the frames each one answered with, once `needle` shows in them."""
    answers = []
    for state_cls, handler, payload in calls:
        before = len(tab.frames)
        await tab.send(state_cls, handler, **payload)
        answers.append(await tab.wait_for(needle, since=before))
    return answers


def test_anonymous_calls_outside_the_console_are_refused_and_say_so(app_url):
    """Venues, seat maps, organizations, tickets, the cart: each privileged handler called with
    no token says "not signed in" (it returned silently before) and changes nothing."""
    with session_scope() as db:
        w = make_workshop(db)
    slug = f"anon-{uuid.uuid4().hex[:8]}"
    calls = [
        (VenueState, "create", {}),
        (VenueState, "seat", {}),
        (VenueState, "export", {"venue_id": str(uuid.uuid4())}),
        (OrgState, "create_org", {"form": {"name": "Anonymous Inc", "slug": slug}}),
        (OrgState, "add_member", {"form": {"email": "someone@example.com", "role": "owner"}}),
        (SeatAdminState, "apply", {"action": "block"}),
        (SeatAdminState, "choose", {"idxs": [1, 2]}),
        (TicketsState, "confirm_cancel", {}),
        (TicketsState, "transfer", {"form": {"name": "Mallory", "email": "m@example.com"}}),
        (CartState, "checkout", {"form": {}}),
        (CartState, "release", {}),
    ]

    async def journey() -> list[str]:
        tab = Tab(app_url)
        await tab.open("/manage/venues")
        await tab.quiet()
        answers = await refusals(tab, calls, "not signed in")
        await tab.close()
        return answers

    answers = run(journey())
    assert len(answers) == len(calls)
    with session_scope(readonly=True) as db:
        assert db.exec(select(Organization).where(Organization.slug == slug)).first() is None
        assert db.exec(select(Venue).where(Venue.organization_id == w.org_id)).first() is None


def test_a_seat_map_refused_at_load_says_so_when_acted_on(app_url):
    """Another organization's staff: the map is not shown, and a bulk action on it says there
    is no such map (it returned silently before)."""
    with session_scope() as db:
        w = make_workshop(db)
        other = make_workshop(db)
    token = token_for(other.owner_id)

    async def journey() -> str:
        tab = Tab(app_url)
        path = f"/manage/events/{w.event_id}/seats/{w.day1}"
        await tab.open(path, {"event_id": str(w.event_id), "session_id": str(w.day1)}, auth_token=token)
        await tab.quiet()
        before = len(tab.frames)
        await tab.send(SeatAdminState, "apply", action="block")
        text = await tab.wait_for("No such seat map", since=before)
        await tab.close()
        return text

    assert "seat(s) blocked" not in run(journey())


def test_text_with_control_characters_is_refused_on_the_page_like_in_the_api(app_url):
    """The services' text rule, through a page: a NUL in a title and an escape sequence in a
    name are refused with a message, and nothing is stored."""
    with session_scope() as db:
        w = make_workshop(db)
    token = token_for(w.owner_id)
    email = f"esc-{uuid.uuid4().hex[:8]}@example.com"

    async def journey() -> tuple[str, str]:
        tab = Tab(app_url)
        await tab.open(f"/manage/events/{w.event_id}/setup", {"event_id": str(w.event_id)}, auth_token=token)
        await tab.quiet()
        before = len(tab.frames)
        await tab.send(SetupState, "save_details", form={"title": "Hi\x00jack", "location": "x", "category": "",
                                                          "timezone": "UTC", "description": ""})
        details = await tab.wait_for("control characters", since=before)
        await tab.close()
        signup = Tab(app_url)
        await signup.open("/register")
        await signup.quiet()
        await signup.send(AuthState, "register", form={"email": email, "name": "Eve\x1b[2J",
                                                        "password": "a long passphrase",
                                                        "password_confirm": "a long passphrase"})
        register = await signup.wait_for("control characters")
        await signup.close()
        return details, register

    details, register = run(journey())
    assert "Details saved" not in details and '"signed_in_rx_state_": true' not in register
    with session_scope(readonly=True) as db:
        assert db.get(Event, w.event_id).title == "Rope Workshop"
        assert db.exec(select(User).where(User.email == email)).first() is None


def test_the_forgot_password_page_is_throttled_and_says_so(app_url):
    """Reset links per account (3 in 10 minutes by default): the fourth request is refused with
    the wait, and no fourth mail goes out."""
    email = f"forgot-{uuid.uuid4().hex[:10]}@example.com"

    async def journey() -> str:
        tab = Tab(app_url)
        await tab.open("/forgot-password")
        await tab.quiet()
        for _ in range(3):
            before = len(tab.frames)
            await tab.send(PasswordResetState, "request_link", form={"email": email})
            await tab.wait_for(email, since=before)
        before = len(tab.frames)
        await tab.send(PasswordResetState, "request_link", form={"email": email})
        text = await tab.wait_for("Too many attempts", since=before)
        await tab.close()
        return text

    assert "seconds" in run(journey())
