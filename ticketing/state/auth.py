"""Who is signed in: the token in the browser's localStorage, verified on the server.

The token is client-provided like every var, so it is only trusted after its signature, expiry
and token version are checked here. Every guarded handler calls `_current_user_id()`, which checks
the expiry on every call and the token version (signed out everywhere?) at most every
RECHECK_SECONDS per tab; a token past half its life is renewed while the user is active.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from ticketing.db import session_scope
from ticketing.models.base import utcnow
from ticketing.services.accounts import accounts, organizations
from ticketing.services.accounts.tokens import issue_token, token_expiry
from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings
from ticketing.state.calls import form_text, in_transaction, page_client_address
from ticketing.throttle import get_throttle, guarded_sign_in

SAFE_NEXT_PREFIXES = ("/",)
# How stale the check of a tab's token version may be: a sign-out everywhere reaches every open
# tab within this many seconds, and a busy tab costs one small read per interval, not per event.
RECHECK_SECONDS = 5.0
# What every handler answers a caller without a valid token (none, expired, signed out
# everywhere): the refusal, said, never a success message.
NOT_SIGNED_IN = "You are not signed in (or your session ended): nothing was changed. Please sign in again."


def not_signed_in() -> ServiceError:
    """The refusal of a handler called without a valid token, for handlers that show refusals."""
    return ServiceError("not_authenticated", NOT_SIGNED_IN)


def say_not_signed_in() -> EventSpec:
    """The refusal as a toast, for handlers that return early (one toast however many calls)."""
    return rx.toast.error(NOT_SIGNED_IN, id="not-signed-in")


def _ttl_seconds() -> float:
    return get_settings().jwt_ttl_minutes * 60


def safe_next(target: str | None) -> str:
    """Only same-site paths are allowed as post-sign-in destinations."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


# (user, renewed token or None, memberships) of a valid token.
Session = tuple[Any, str | None, list[dict[str, str]]]


async def read_session(token: str) -> Session | None:
    """Who `token` belongs to (signature, expiry, token version checked in the database), a
    renewed token when it is past half its life, and the user's memberships; None if invalid."""

    def load(db):
        now = utcnow()
        user = accounts.user_from_token(db=db, token=token, now=now)
        orgs = organizations.list_memberships(db=db, user_id=user.id)
        # Renewed while the user is active: a token past half its life is replaced.
        issued = None
        if token_expiry(token) - now.timestamp() < _ttl_seconds() / 2:
            issued = issue_token(user_id=user.id, token_version=user.token_version, now=now)
        return user, issued, [{"id": str(o.id), "name": o.name, "slug": o.slug, "role": r.value}
                              for o, r in orgs]

    try:
        return await in_transaction(load, readonly=True)
    except ServiceError:
        return None


@dataclass
class Caller:
    """Who calls a background handler, checked as `AuthState._current_user_id()` does but with
    the database read (when the tab's last check is stale) outside the tab's state lock: at an
    on-sale peak the read waits for a connection behind the holds, and a lock held meanwhile
    expired (bench/onsale.py). Taken inside `async with self` (`caller_of`), asked outside
    (`caller_user_id`), and the read remembered each time the handler takes the lock again
    (`async with locked_as(self, caller)`). Plain functions: a method here would look like a
    client-callable one."""

    token: str
    fresh: uuid.UUID | None  # the user, when the tab's last check is recent enough
    session: Session | None = None
    checked: bool = False  # the database was read (its answer is for the tab to remember)


async def caller_of(state: rx.State) -> Caller:
    auth = await state.get_state(AuthState)
    return Caller(auth.token, auth._fresh_user_id())


async def caller_user_id(caller: Caller) -> uuid.UUID | None:
    """The verified user (a database read when the tab's last check is stale), or None."""
    if caller.fresh is not None:
        return caller.fresh
    if not caller.checked:
        caller.session, caller.checked = await read_session(caller.token), True
    return caller.session[0].id if caller.session else None


async def remember_caller(state: rx.State, caller: Caller) -> None:
    """Keep the read's answer in the tab's AuthState (renewed token, memberships; signed out if
    refused), unless the tab signed in or out meanwhile."""
    if caller.checked:
        auth = await state.get_state(AuthState)
        if auth.token == caller.token:
            auth._apply_session(caller.token, caller.session)


@contextlib.asynccontextmanager
async def locked_as(state: rx.State, caller: Caller) -> AsyncIterator[None]:
    """`async with self` in a background handler whose caller was checked outside the lock, the
    check remembered (`remember_caller`)."""
    async with state:
        await remember_caller(state, caller)
        yield


class AuthState(rx.State):
    token: str = rx.LocalStorage("", name="tk_token", sync=True)
    current_org_id: str = rx.LocalStorage("", name="tk_org")
    user_name: str = ""
    user_email: str = ""
    signed_in: bool = False
    checked: bool = False
    # [{id, name, slug, role}] of the organizations the user works for.
    memberships: list[dict[str, str]] = []
    form_error: str = ""
    _refused_email: str = ""  # the email register just refused (a late keystroke must not clear its error)
    busy: bool = False

    _uid: str = ""
    _verified_token: str = ""
    _verified_at: float = 0.0  # time.time() of the last full check (wall clock: workers share it)
    _expires_at: float = 0.0

    @rx.var
    def is_staff(self) -> bool:
        return len(self.memberships) > 0

    @rx.var
    def current_org(self) -> dict[str, str]:
        for m in self.memberships:
            if m["id"] == self.current_org_id:
                return m
        return self.memberships[0] if self.memberships else {"id": "", "name": "", "slug": "", "role": ""}

    @rx.var
    def initials(self) -> str:
        parts = self.user_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def _fresh_user_id(self) -> uuid.UUID | None:
        """The user if this tab's last full check is recent enough to trust without a read."""
        now = time.time()
        if (self.token and self.token == self._verified_token and self._uid
                and now < self._expires_at and now - self._verified_at < RECHECK_SECONDS):
            return uuid.UUID(self._uid)
        return None

    async def _current_user_id(self) -> uuid.UUID | None:
        """The verified user behind the browser's token, or None (and the tab is signed out):
        the expiry is checked on every call, the token version every RECHECK_SECONDS."""
        fresh = self._fresh_user_id()
        if fresh is not None:
            return fresh
        await self._load_session()
        return uuid.UUID(self._uid) if self._uid else None

    async def _load_session(self) -> None:
        self._apply_session(self.token, await read_session(self.token))

    def _apply_session(self, token: str, session: Session | None) -> None:
        """Remember what `read_session(token)` found (None: the tab is signed out)."""
        if session is None:
            self._clear()
            return
        user, renewed, memberships = session
        if renewed is not None:
            token = self.token = renewed
        self._uid, self._verified_token = str(user.id), token
        self._verified_at, self._expires_at = time.time(), token_expiry(token)
        self.user_name, self.user_email, self.signed_in = user.name, user.email, True
        self.memberships = memberships
        if memberships and self.current_org_id not in {m["id"] for m in memberships}:
            self.current_org_id = memberships[0]["id"]

    def _clear(self) -> None:
        self.token = ""
        self._uid = self._verified_token = ""
        self._verified_at = self._expires_at = 0.0
        self.user_name = self.user_email = ""
        self.signed_in = False
        self.memberships = []

    async def _refresh(self) -> None:
        self._verified_token = ""
        await self._load_session()
        self.checked = True

    @rx.event
    async def check_session(self):
        """on_load of every page: refresh who is signed in."""
        await self._refresh()

    @rx.event
    async def require_signed_in(self):
        """Page guard: send visitors who are not signed in to the sign-in page."""
        await self._refresh()
        if not self.signed_in:
            return rx.redirect(f"/login?next={quote(self.router.url.path)}")

    @rx.event
    async def require_staff(self):
        """Page guard: staff of at least one organization (owner, organizer or door)."""
        await self._refresh()
        if not self.signed_in:
            return rx.redirect(f"/login?next={quote(self.router.url.path)}")
        if not self.memberships:
            return rx.redirect("/staff-only")  # says why, instead of silently offering to start selling

    @rx.event
    def clear_error(self, value: str = ""):
        """Typing another email clears a stale error ("already exists" for the previous one); a
        late keystroke event for the email just refused does not."""
        if not isinstance(value, str) or value.strip().lower() != self._refused_email:
            self.form_error = ""

    @rx.event
    async def sign_in(self, form: dict):
        self.form_error, self.busy = "", True
        yield
        email, password = form_text(form, "email"), form.get("password", "")
        if not email or not isinstance(password, str) or not password:
            self.form_error, self.busy = "Enter your email and password.", False
            return
        def attempt() -> str:
            with session_scope() as db:
                return accounts.sign_in(db=db, email=email, password=password, now=utcnow())[1]

        try:
            # Throttled like the API's sign-in: the page is the same password-guessing door.
            token = await asyncio.to_thread(guarded_sign_in, email=email, address=page_client_address(self),
                                            attempt=attempt)
        except ServiceError as exc:
            self.form_error, self.busy = exc.message, False
            self._refused_email = email.lower()
            return
        self.token = token
        await self._refresh()
        self.busy = False
        yield rx.redirect(safe_next(self.router.url.query_parameters.get("next")))

    @rx.event
    async def register(self, form: dict):
        self.form_error, self.busy = "", True
        yield
        email, name = form_text(form, "email"), form_text(form, "name")
        password = form.get("password", "")
        if not isinstance(password, str):
            password = ""
        if password != form.get("password_confirm", ""):
            self.form_error, self.busy = "The two passwords do not match.", False
            return

        def work(db):
            accounts.register_user(db=db, email=email, password=password, name=name, now=utcnow())
            return accounts.sign_in(db=db, email=email, password=password, now=utcnow())

        try:
            await asyncio.to_thread(get_throttle().before_register, address=page_client_address(self))
            _user, token = await in_transaction(work)
        except ServiceError as exc:
            self.form_error, self.busy = exc.message, False
            self._refused_email = email.lower()
            return
        self.token = token
        await self._refresh()
        self.busy = False
        yield rx.redirect(safe_next(self.router.url.query_parameters.get("next")))

    @rx.event
    def sign_out(self):
        self._clear()
        self.current_org_id = ""
        return rx.redirect("/")

    @rx.event
    async def sign_out_everywhere(self):
        """Invalidate every token of the user (other browsers, phones, API clients) and sign out
        here; the other tabs notice within RECHECK_SECONDS of their next action."""
        user_id = await self._current_user_id()
        if user_id is None:
            return [rx.toast.error("You are not signed in."), rx.redirect("/login")]
        await in_transaction(lambda db: accounts.sign_out_everywhere(db=db, user_id=user_id))
        self._clear()
        self.current_org_id = ""
        return [rx.toast.success("Signed out on every device."), rx.redirect("/")]

    @rx.event
    async def select_org(self, org_id: str):
        """Switch the organization the staff pages work on (must be one of the user's)."""
        if await self._current_user_id() is None:
            return rx.redirect("/login")
        if org_id in {m["id"] for m in self.memberships}:
            self.current_org_id = org_id
