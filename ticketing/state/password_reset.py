"""Forgot password: ask for a reset link by email, then choose a new password through it."""

from __future__ import annotations

import asyncio

import reflex as rx

from ticketing.models.base import utcnow
from ticketing.notifications import account_mail
from ticketing.services.accounts import password_reset
from ticketing.services.errors import ServiceError
from ticketing.state.calls import form_text, in_transaction, page_client_address
from ticketing.throttle import get_throttle


class PasswordResetState(rx.State):
    sent_to: str = ""  # the address a link was asked for (said the same whether it exists or not)
    email: str = ""  # the account the open link resets
    link_error: str = ""
    error: str = ""
    done: bool = False
    busy: bool = False

    def _token(self) -> str:
        token = self.router.url.query_parameters.get("token", "")
        return token if isinstance(token, str) and len(token) < 2000 else ""

    @rx.event
    async def request_link(self, form: dict):
        email = form_text(form, "email")[:254]
        if "@" not in email:
            self.error = "Enter the email address of your account."
            return
        self.busy, self.error = True, ""
        yield
        try:
            # Throttled like the API's: each request mails the account's owner.
            await asyncio.to_thread(get_throttle().before_password_reset, email=email,
                                    address=page_client_address(self))
            await in_transaction(lambda db: account_mail.mail_reset_link(db=db, email=email, now=utcnow()))
        except ServiceError as exc:
            self.busy, self.error = False, exc.message
            return
        self.busy, self.sent_to = False, email

    @rx.event
    async def load_link(self):
        """on_load of the reset page: is the link still good?"""
        self.done, self.error, self.busy, self.email, self.link_error = False, "", False, "", ""
        token = self._token()
        try:
            self.email = await in_transaction(
                lambda db: password_reset.check_reset_link(db=db, token=token, now=utcnow()), readonly=True)
        except ServiceError as exc:
            self.link_error = exc.message

    @rx.event
    async def save_password(self, form: dict):
        password, again = form.get("password", ""), form.get("password_confirm", "")
        if not isinstance(password, str) or password != again:
            self.error = "The two passwords do not match."
            return
        token = self._token()
        self.busy, self.error = True, ""
        yield
        try:
            await in_transaction(lambda db: password_reset.reset_password(db=db, token=token, password=password,
                                                                          now=utcnow()))
        except ServiceError as exc:
            self.busy = False
            if exc.code == "invalid_reset_link":
                self.link_error = exc.message
            else:
                self.error = exc.message
            return
        self.busy, self.done = False, True
