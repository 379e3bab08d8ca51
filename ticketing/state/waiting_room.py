"""The queue page of an event's waiting room, and the admission the pages present when holding.

Admissions live in the browser's localStorage (every tab of the site shares them) as a JSON map
{event id: token}. Like every var they come from the client: the hold path verifies each one
(signature, account, event, expiry) on the server before it holds anything.
"""

from __future__ import annotations

import json
import math
import uuid
from urllib.parse import quote

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import token_expiry
from ticketing.services.errors import ServiceError
from ticketing.services.waiting_room import rooms
from ticketing.state.auth import AuthState
from ticketing.state.calls import in_transaction, off_loop
from ticketing.state.failures import failure_words

ADMISSION_CODES = frozenset({"admission_required", "admission_invalid", "admission_wrong_event", "admission_expired"})


def wait_words(seconds: int | None) -> str:
    """An estimated wait in words: "less than a minute", "about 4 minutes", "about 1 h 20 min".
    The queue page's component words the figures it fetches itself the same way
    (assets/queue_words.js; tests/unit/test_queue_words.py holds the two together)."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {minutes // 60} h {minutes % 60:02d} min"


def queue_figures(status: rooms.QueueStatus) -> dict[str, int | None]:
    """The figures of a place the queue page shows, under the names of the API's answer."""
    return {"position": status.position or 0, "waiting": status.waiting, "wait_seconds": status.wait_seconds,
            "opens_in_seconds": status.opens_in_seconds, "ask_again_seconds": status.ask_again_seconds}


def queue_url(event_id: uuid.UUID | str) -> str:
    return f"/events/{event_id}/queue"


class WaitingRoomState(rx.State):
    admissions: str = rx.LocalStorage("", name="tk_admission")
    event_title: str = ""
    state: str = ""  # "" while loading, waiting, admitted, missing, failed (the load could not take a place)
    # The place as the page's load (or a hand-over) found it, the API's figures (queue_figures):
    # from then on the page's component asks the API itself (components/queue_place.py).
    place: dict[str, int | None] = {}
    place_event_id: str = ""  # whose queue the place is in (the route's event_id is the root state's)
    error: str = ""

    def _event_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router._page.params.get("event_id", "")))
        except ValueError:
            return None

    def _tokens(self) -> dict[str, str]:
        try:
            tokens = json.loads(self.admissions or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in tokens.items()} if isinstance(tokens, dict) else {}

    def _admission_for(self, event_id: uuid.UUID) -> str | None:
        return self._tokens().get(str(event_id))

    def _keep(self, event_id: uuid.UUID, token: str) -> None:
        now = utcnow().timestamp()
        tokens = {k: v for k, v in self._tokens().items() if token_expiry(v) > now}  # expired ones go
        tokens[str(event_id)] = token
        self.admissions = json.dumps(tokens, separators=(",", ":"))

    async def _take_place(self, *, first: bool):
        """Join (or keep the place, which marks it seen) and show it; let the customer in when
        admitted, or when the room is off. The body of ordinary events, not background tasks: a
        task's `async with self` waits for the lock of the page load that started it, and under
        load the cart's such wait sometimes lasted until the lock's expiry (10 s; CartState.load).
        Here it made no measurable difference (bench/onsale.py --waiting-room 600: arrival -> a
        place shown p95 10.9 s before, 10.2 s after: a lock left taken by a cancelled event, see
        ticketing/reflex_lock.py), but one lock is simpler."""
        if not first and self.state != "waiting":
            return None
        event_id, path = self._event_id(), self.router.url.path
        if first:
            self.state = ""
        user_id = await (await self.get_state(AuthState))._current_user_id()
        if user_id is None:
            return rx.redirect(f"/login?next={quote(path)}")
        if event_id is None:
            self.state = "missing"
            return None

        def take(db):  # the title once, on the page's load; one transaction either way
            title = rooms.event_title(db=db, event_id=event_id) if first else None
            return title, rooms.join_queue(db=db, event_id=event_id, user_id=user_id, now=utcnow())

        try:
            title, status = await in_transaction(take)
        except ServiceError as exc:
            if exc.code == "not_found":
                self.state = "missing"
            elif first:
                self.state, self.error = "failed", exc.message  # the page offers to try again
            else:
                self.error = exc.message  # under the place, still shown
            return None
        except Exception as exc:
            if not first:
                raise  # the place stays shown; the page's exception handler says it
            # Else the page would stay on "Finding your place…": said there, with a logged reference.
            self.state, self.error = "failed", failure_words(exc)
            return None
        if title is not None:
            self.event_title = title
        self.error = ""
        return self._show(event_id, status)

    def _show(self, event_id: uuid.UUID, status: rooms.QueueStatus):
        if status.state == "admitted" and status.admission_token:
            self._keep(event_id, status.admission_token)
            self.state = "admitted"
            return rx.redirect(f"/events/{event_id}")
        if status.state == "open":
            return rx.redirect(f"/events/{event_id}")
        self.state, self.place, self.place_event_id = "waiting", queue_figures(status), str(event_id)
        return None

    @rx.event
    async def load(self):
        """on_load (and the page's guard: a visitor who is not signed in goes to sign in): take
        a place (or find the one this account has) and show it."""
        return await self._take_place(first=True)

    @rx.event
    async def refresh(self):
        """The page's component hands over to this when the API's answer needs the server's
        page (admitted or open: keep the admission and go to the event; absent: take a place
        again; signed out: sign in; unknown event: "not available"). Keeps the place, updates
        the position; does nothing unless the page is showing a place."""
        return await self._take_place(first=False)

    @rx.event
    async def leave(self):
        """Give up the place and go back to the event."""
        event_id = self._event_id()
        user_id = await (await self.get_state(AuthState))._current_user_id()
        if event_id is None or user_id is None:
            return None
        await in_transaction(lambda db: rooms.leave_queue(db=db, event_id=event_id, user_id=user_id))
        self.state = ""
        return rx.redirect("/")


async def admission_of(state: rx.State, event_id: uuid.UUID) -> str | None:
    """The admission this browser keeps for the event (unverified: the hold path checks it)."""
    return (await state.get_state(WaitingRoomState))._admission_for(event_id)


async def needs_queue(state: rx.State, event_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
    """Whether this tab must go through the event's queue before holding: the room is on and
    the tab has no valid admission of this account to this event (checked on the server)."""
    token = await admission_of(state, event_id)
    # The page load is where a customer arrives (the surge rule's count), and it reads the
    # room's switch afresh: the holds that follow on this process ask what it read.
    on = await off_loop(lambda: rooms.note_arrival(event_id=event_id, now=utcnow(), user_id=user_id))
    if not on or user_id is None:
        return on
    try:
        await off_loop(lambda: rooms.require_admission(event_id=event_id, user_id=user_id, token=token, now=utcnow()))
    except ServiceError as exc:
        if exc.code in ADMISSION_CODES:
            return True
        raise
    return False
