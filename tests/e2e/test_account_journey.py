"""Journey: register, create an organization, sign out, sign in (and a wrong password)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.conftest import snapshot
from ticketing.db import session_scope
from ticketing.models import JobFailure, Membership, User

pytestmark = pytest.mark.e2e


def _open_account_menu(page: Page) -> None:
    page.locator("#account-menu").click()


def test_register_create_org_sign_out_and_back_in(page: Page, viewport: str):
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/register")
    snapshot(page, f"register-{viewport}")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a good long password")
    page.get_by_label("Repeat password").fill("a good long password")
    page.locator("#register-submit").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#account-menu")).to_be_visible()
    snapshot(page, f"landing-signed-in-{viewport}")

    page.goto("/orgs/new")
    page.get_by_label("Organization name").fill("Riverside Arts")
    page.get_by_label("Short name").fill(f"riverside-{uuid.uuid4().hex[:6]}")
    page.locator("#create-org-submit").click()
    expect(page).to_have_url(re.compile(r"/orgs/?$"))
    expect(page.locator("#org-title")).to_have_text("Riverside Arts")
    expect(page.get_by_text(email)).to_be_visible()
    snapshot(page, f"org-{viewport}")

    _open_account_menu(page)
    page.locator("#sign-out").click()
    expect(page.locator("#nav-sign-in")).to_be_visible()

    # Staff pages are guarded once signed out.
    page.goto("/orgs")
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)orgs"))

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a good long password")
    page.locator("#sign-in-submit").click()
    expect(page).to_have_url(re.compile(r"/orgs/?$"))
    expect(page.locator("#org-title")).to_have_text("Riverside Arts")
    expect(page.locator("#failed-jobs")).to_have_count(0)

    # A mail that failed for good (its job gave up) is shown to the organization's owner.
    with session_scope() as db:
        org_id = db.exec(select(Membership.organization_id).join(User, User.id == Membership.user_id)
                         .where(User.email == email)).one()
        db.add(JobFailure(organization_id=org_id, task="order_confirmation", subject="order 1234",
                          attempts=7, error="SMTPServerDisconnected: Connection unexpectedly closed"))
    page.goto("/orgs")
    expect(page.locator("#failed-jobs")).to_contain_text("Order confirmation mail")
    expect(page.locator("#failed-jobs")).to_contain_text("SMTPServerDisconnected")
    snapshot(page, f"org-failed-jobs-{viewport}")


def test_wrong_password_shows_a_clear_message(page: Page, viewport: str, api):
    account = api.register(password="the right password")
    page.goto("/login")
    page.get_by_label("Email").fill(account["email"])
    page.get_by_label("Password").fill("not the password")
    page.locator("#sign-in-submit").click()
    expect(page.locator("#form-error")).to_contain_text("Wrong email or password")
    expect(page).to_have_url(re.compile(r"/login"))
    snapshot(page, f"login-wrong-password-{viewport}")


def test_landing_lists_nothing_yet_with_a_clear_empty_state(page: Page, viewport: str):
    page.goto("/")
    expect(page.locator("#events-empty")).to_be_visible()
    snapshot(page, f"landing-{viewport}")
