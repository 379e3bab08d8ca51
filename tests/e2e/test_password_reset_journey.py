"""Journey: accounts without dead ends. Forgot password -> mailed link -> new password -> sign in
(the link then no longer works); the register form drops a stale "already exists" once the
email changes; a customer opening a staff page is told it needs a staff role."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in_as, snapshot
from tests.payments_helpers import outbox
from ticketing.db import session_scope
from ticketing.models import User
from ticketing.models.base import utcnow
from ticketing.services.accounts.tokens import issue_token

pytestmark = pytest.mark.e2e


def test_forgot_password_with_a_mailed_single_use_link(page: Page, viewport: str, api):
    account = api.register(password="the old password")
    page.goto("/login")
    page.locator("#forgot-password").click()
    expect(page).to_have_url(re.compile(r"/forgot-password"))
    page.get_by_label("Email").fill(account["email"].upper())
    page.locator("#reset-request").click()
    expect(page.locator("#reset-sent")).to_contain_text(account["email"].upper())
    snapshot(page, f"forgot-sent-{viewport}")

    (mail,) = outbox(account["email"])
    link = re.search(r"(https?://\S+/reset-password\?token=\S+)", mail.get_content()).group(1)
    path = link.split("/", 3)[3]
    page.goto("/" + path)
    expect(page.get_by_text(account["email"])).to_be_visible()
    page.get_by_label("New password", exact=True).fill("the new password")
    page.get_by_label("Repeat password").fill("the new password")
    snapshot(page, f"reset-form-{viewport}")
    page.locator("#reset-submit").click()
    expect(page.locator("#reset-done")).to_be_visible()

    page.goto("/login")
    page.get_by_label("Email").fill(account["email"])
    page.get_by_label("Password").fill("the new password")
    page.locator("#sign-in-submit").click()
    expect(page.locator("#account-menu")).to_be_visible()

    page.goto("/" + path)  # spent
    expect(page.locator("#reset-bad-link")).to_contain_text("expired or was already used")
    snapshot(page, f"reset-spent-{viewport}")


def test_register_clears_a_stale_error_when_the_email_changes(page: Page, viewport: str, api):
    taken = api.register()
    page.goto("/register")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill(taken["email"])
    page.get_by_label("Password", exact=True).fill("a good long password")
    page.get_by_label("Repeat password").fill("a good long password")
    page.locator("#register-submit").click()
    expect(page.locator("#form-error")).to_contain_text("already")
    page.get_by_label("Email").fill("someone-else@example.com")
    expect(page.locator("#form-error")).to_have_count(0)


def test_a_customer_on_a_staff_page_is_told_why(page: Page, viewport: str, api):
    customer = api.register(name="Casey")
    with session_scope() as db:
        user = db.get(User, uuid.UUID(customer["id"]))
        sign_in_as(page, issue_token(user_id=user.id, token_version=user.token_version, now=utcnow()))
    page.goto("/orgs")
    expect(page).to_have_url(re.compile(r"/staff-only"))
    expect(page.locator("#staff-only")).to_contain_text("This page is for event staff")
    snapshot(page, f"staff-only-{viewport}")
