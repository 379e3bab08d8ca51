"""Journey: an organizer builds the 3-day workshop of seed 000 from scratch in the console —
event, sessions, the ticket-type x session matrix, a cover image — publishes it, and sees it on
the public event page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import snapshot
from tests.e2e.console_helpers import organizer, png_bytes, sign_in_as

pytestmark = pytest.mark.e2e

SESSIONS = [  # name, days from the first, start, end, capacity
    ("Day 1 - Foundations", 0, "19:00", "22:00", "20"),
    ("Day 2 - Advanced", 1, "13:00", "17:00", "20"),
    ("Day 3 - Practice", 2, "10:00", "14:00", "18"),
]
TYPES = [  # name, price, quota, sessions
    ("Full Series Pass", "150.00", "15", ["Day 1 - Foundations", "Day 2 - Advanced", "Day 3 - Practice"]),
    ("Day 1 Only", "60.00", "10", ["Day 1 - Foundations"]),
    ("Day 2 Only", "60.00", "10", ["Day 2 - Advanced"]),
    ("Day 3 Only", "60.00", "8", ["Day 3 - Practice"]),
    ("Weekend Combo", "100.00", "5", ["Day 2 - Advanced", "Day 3 - Practice"]),
]


def _add_session(page: Page, name: str, day: date, start: str, end: str, capacity: str) -> None:
    form = page.locator("#add-session-form")
    form.locator("#f-name").fill(name)
    form.locator("#f-date").fill(day.isoformat())
    form.locator("#f-start").fill(start)
    form.locator("#f-end").fill(end)
    form.locator("#f-capacity").fill(capacity)
    form.locator("#add-session").click()
    expect(page.locator("#session-list")).to_contain_text(name)


def _add_type(page: Page, name: str, price: str, quota: str, sessions: list[str]) -> None:
    form = page.locator("#add-type-form")
    form.locator("#n-name").fill(name)
    form.locator("#n-price").fill(price)
    form.locator("#n-quota").fill(quota)
    for session in sessions:
        form.get_by_label(session, exact=True).check()
    form.locator("#add-type").click()
    expect(page.locator("#matrix")).to_contain_text(name)


def _cell(page: Page, type_name: str, column: int):
    row = page.locator("#matrix tr[data-type]", has_text=type_name)
    return row.locator("td.matrix-cell").nth(column)


def test_build_the_three_day_workshop_and_see_it_published(page: Page, viewport: str, api, app_url: str):
    owner = organizer(api)
    sign_in_as(page, owner["token"])
    page.goto("/orgs")
    page.locator("#new-event").click()
    expect(page).to_have_url(re.compile(r"/manage/new-event$"))
    page.locator("#f-title").fill("Rope Workshop: three days")
    page.locator("#f-location").fill("Studio Nord, Berlin")
    page.locator("#f-timezone").select_option("Europe/Berlin")
    snapshot(page, f"console-new-event-{viewport}")
    page.locator("#create-event").click()

    expect(page).to_have_url(re.compile(r"/manage/events/[0-9a-f-]{36}/sessions$"), timeout=20_000)
    event_id = re.search(r"/manage/events/([0-9a-f-]{36})/", page.url).group(1)
    expect(page.locator("#event-status")).to_contain_text("Draft")
    expect(page.locator("#sessions-empty")).to_be_visible()

    first = date.today() + timedelta(days=30)
    for name, offset, start, end, capacity in SESSIONS:
        _add_session(page, name, first + timedelta(days=offset), start, end, capacity)
    # A refusal is shown beside the field it concerns.
    _add_session_fails = page.locator("#add-session-form")
    _add_session_fails.locator("#f-name").fill("Day 1 - Foundations")
    _add_session_fails.locator("#f-date").fill(first.isoformat())
    _add_session_fails.locator("#f-start").fill("09:00")
    _add_session_fails.locator("#f-end").fill("10:00")
    _add_session_fails.locator("#add-session").click()
    expect(_add_session_fails.locator(".field-error")).to_contain_text("already has a session called")
    expect(page.locator("[data-session]")).to_have_count(3)
    expect(page.locator("[data-session]", has_text="Day 3 - Practice").locator(".places-left")).to_have_text("18")
    snapshot(page, f"console-sessions-{viewport}")

    page.locator("#tab-tickets").click()
    expect(page.locator("#types-empty")).to_be_visible()
    for name, price, quota, sessions in TYPES:
        _add_type(page, name, price, quota, sessions)
    form = page.locator("#add-type-form")
    form.locator("#n-name").fill("Broken")
    form.locator("#n-price").fill("-5")
    form.get_by_label("Day 1 - Foundations", exact=True).check()
    form.locator("#add-type").click()
    expect(form.locator(".field-error")).to_contain_text("cannot be negative")

    # Live places per cell; the series pass is limited by the smallest day (18 places).
    series_day3 = _cell(page, "Full Series Pass", 2)
    expect(series_day3).to_contain_text("18 left")
    expect(series_day3).to_have_class(re.compile(r"\bbottleneck\b"))
    expect(_cell(page, "Full Series Pass", 0)).not_to_have_class(re.compile(r"\bbottleneck\b"))
    expect(page.locator("#matrix tr[data-type]", has_text="Full Series Pass").locator(".type-left")).to_have_text("15")
    # Tick Day 1 into the weekend combo, then take it out again: the matrix edits in place.
    weekend_day1 = _cell(page, "Weekend Combo", 0)
    weekend_day1.get_by_role("checkbox").click()
    expect(weekend_day1).to_contain_text("20 left")
    weekend_day1.get_by_role("checkbox").click()
    expect(weekend_day1).not_to_contain_text("left")
    snapshot(page, f"console-matrix-{viewport}")
    # The edit dialog keeps a refusal in place, then saves.
    page.locator("#matrix tr[data-type]", has_text="Weekend Combo").locator(".edit-type").click()
    page.locator("#t-price").fill("-5")
    page.locator("#save-type").click()
    expect(page.get_by_role("dialog").locator(".field-error")).to_contain_text("cannot be negative")
    page.locator("#t-price").fill("99.00")
    page.locator("#save-type").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#matrix tr[data-type]", has_text="Weekend Combo")).to_contain_text("99.00")

    page.locator("#tab-setup").click()
    expect(page.locator("#checklist")).to_be_visible()
    page.locator("#cover-upload input[type=file]").set_input_files(
        files=[{"name": "cover.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(page.locator("#cover-preview")).to_be_visible(timeout=15_000)
    page.locator("#publish").click()
    page.locator("#publish-confirm").click()
    expect(page.locator("#event-status")).to_contain_text("On sale")
    expect(page.locator("#changed-elsewhere")).to_have_count(0)  # our own change is no news to us
    snapshot(page, f"console-setup-published-{viewport}")

    page.goto(f"/events/{event_id}")
    expect(page.locator("#event-title")).to_have_text("Rope Workshop: three days")
    expect(page.locator("#sessions [data-session]")).to_have_count(3)
    expect(page.locator("#ticket-types [data-ticket-type]")).to_have_count(5)
    expect(page.locator("#event-cover")).to_be_visible()
    expect(page.locator("#ticket-types")).to_contain_text("Weekend Combo")
    snapshot(page, f"console-public-workshop-{viewport}")

    # Back in the matrix, a customer's cart shows up live (through the app, so over Redis).
    page.goto(f"/manage/events/{event_id}/tickets")
    expect(_cell(page, "Full Series Pass", 2)).to_contain_text("18 left")
    series_id = page.locator("#matrix tr[data-type]", has_text="Full Series Pass").get_attribute("data-type")
    buyer = api.register(name="Quick Buyer")
    with httpx.Client(base_url=app_url + "/api/v1", timeout=15) as http:
        r = http.post(f"/events/{event_id}/holds", headers={"Authorization": f"Bearer {buyer['token']}"},
                      json={"items": [{"ticket_type_id": series_id, "quantity": 3}]})
        assert r.status_code == 201, r.text
    expect(_cell(page, "Full Series Pass", 2)).to_contain_text("15 left", timeout=5000)
    expect(_cell(page, "Day 1 Only", 0)).to_contain_text("17 left")
    expect(page.locator("#matrix tr[data-type]", has_text="Full Series Pass").locator(".type-left")).to_have_text("12")

    # A colleague raises Day 1's capacity elsewhere: this tab says so and reloads on request.
    day1 = next(s for s in api.get(f"/events/{event_id}").json()["sessions"] if s["name"] == "Day 1 - Foundations")
    with httpx.Client(base_url=app_url + "/api/v1", timeout=15) as http:
        r = http.patch(f"/events/{event_id}/sessions/{day1['id']}", json={"capacity": 25},
                       headers={"Authorization": f"Bearer {owner['token']}"})
        assert r.status_code == 200, r.text
    expect(page.locator("#changed-elsewhere")).to_be_visible(timeout=5000)
    page.locator("#changed-elsewhere").get_by_role("button").click()
    expect(page.locator("#matrix thead")).to_contain_text("22/25 free")
    expect(page.locator("#changed-elsewhere")).to_have_count(0)

    # The session manager shows the guard rules the cart now triggers, and enforces them in place.
    page.locator("#tab-sessions").click()
    day3 = page.locator("[data-session]", has_text="Day 3 - Practice")
    expect(day3.locator(".guard-note")).to_contain_text("Can't be deleted: 3 places are sold or reserved")
    expect(day3.locator(".delete-session")).to_have_count(0)
    expect(day3.locator(".call-off-session")).to_be_visible()
    day3.locator(".edit-session").click()
    page.locator("#e-f-capacity").fill("2")
    page.locator("#save-session").click()
    expect(page.get_by_role("dialog").locator(".field-error")).to_contain_text("3 places are already taken")
    snapshot(page, f"console-session-guard-{viewport}")
    page.locator("#e-f-capacity").fill("3")
    page.locator("#save-session").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(day3.locator(".places-left")).to_have_text("0")
