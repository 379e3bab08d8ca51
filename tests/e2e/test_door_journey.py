"""Journey: a door steward checks guests in on a phone — by typed code, by a QR photo decoded in
the browser, and offline (network cut by Playwright, then restored: the queue syncs)."""

from __future__ import annotations

import re
import uuid

import pytest
import segno
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.builders import in_tx
from tests.checkin_helpers import LiveEvent, buy_live, cancel, make_live_event
from tests.e2e.conftest import snapshot
from ticketing.db import session_scope
from ticketing.models import CheckIn, CheckInConflict
from ticketing.models.base import utcnow
from ticketing.services.door import admission

pytestmark = pytest.mark.e2e
PASSWORD = "door-password"
phone_only = pytest.mark.parametrize("viewport", ["phone"])


@pytest.fixture
def live() -> tuple[LiveEvent, str, str]:
    steward, owner = (f"{who}-{uuid.uuid4().hex[:8]}@example.com" for who in ("door", "owner"))
    return make_live_event(steward_email=steward, steward_password=PASSWORD, owner_email=owner), steward, owner


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#sign-in-submit").click()
    expect(page.locator("#account-menu")).to_be_visible()


def open_scanner(page: Page, event: LiveEvent) -> None:
    page.goto(f"/door/{event.event_id}")
    expect(page.locator("#door-scanner")).to_have_attribute("data-ready", "true", timeout=30_000)


def type_code(page: Page, code: str) -> None:
    if page.locator("#door-tab-code").get_attribute("aria-selected") != "true":
        page.locator("#door-tab-code").click()
    page.locator("#door-code").fill(code)
    page.locator("#door-code-submit").click()


def answer(page: Page, result: str, timeout: float = 5_000):
    shown = page.locator(f"#door-result[data-result={result}]")
    expect(shown).to_be_visible(timeout=timeout)
    return shown


def dismiss(page: Page) -> None:
    page.locator("#door-result").click()
    expect(page.locator("#door-result")).to_have_count(0)


def checkins(event: LiveEvent) -> list[CheckIn]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(CheckIn).where(CheckIn.event_id == event.event_id)).all())


def counter(page: Page, session_id: uuid.UUID):
    return page.locator(f"#door-counters [data-session='{session_id}'] .door-admitted")


@phone_only
def test_typed_code_is_admitted_once_and_counters_go_live(page: Page, viewport: str, live):
    event, steward, _owner = live
    ada, grace = buy_live(event, event.today_only, ["Ada Lovelace", "Grace Hopper"])
    sign_in(page, steward)
    open_scanner(page, event)
    page.locator("#door-gate").fill("North door")
    snapshot(page, f"door-scanner-{viewport}")

    type_code(page, ada.code)
    green = answer(page, "admitted")
    expect(green).to_contain_text("Ada Lovelace")
    expect(green).to_contain_text("Friday ticket · Friday night")
    snapshot(page, f"door-admitted-{viewport}")
    dismiss(page)
    expect(counter(page, event.today)).to_have_text("1")  # pushed live after the commit

    type_code(page, ada.code)
    red = answer(page, "already_checked_in")
    expect(red).to_contain_text(re.compile(r"Already checked in at \d\d:\d\d by North door"))
    snapshot(page, f"door-already-in-{viewport}")
    dismiss(page)

    type_code(page, "not-a-ticket")
    expect(answer(page, "unknown_code")).to_contain_text("Unknown ticket")
    dismiss(page)
    expect(page.locator("#door-history [data-result]")).to_have_count(3)
    snapshot(page, f"door-history-{viewport}")
    assert [c.ticket_id for c in checkins(event)] == [ada.id]
    assert grace.id not in {c.ticket_id for c in checkins(event)}


# Ticket-shaped codes (not ours) whose QR @zxing/library's own finder-pattern selection misses at
# 6 px a module: a false 1:1:3:1:1 run in the data is taken for a corner, or ends the scan before
# the real bottom-left corner is reached (assets/qr_finder_patterns.js). About one random ticket
# code in twelve was like these, which made this test fail now and then.
MISSED_BY_STOCK_ZXING = [
    "B0ETdRrIwhXnKS-NOmfgxju0HwpahlkA_bhEyPq2KiC6J4o7jAnDkWvif-ufnJ8Jyd0_pVioC7eMrMRNLiJi9nFvwiBshGCgbpF1QAOZO4c6-eOi-28",
    "T9_2DqS2_3uGe5N3FXLM54XD-CT61E6zApLKfVv9Hj-pcIh_rkwkKoN4H4rwfX-ZfY3l3GUIDrxq-7ABwy4NKTaKPNf0WBhS2kDMd1eOJbJChQSQY38",
    "TxG2ap0Z_3Vfe8yefMgp5PFhkqzrliQ8bGx7v3le34kNJdTY25YcxnzFF6qn9XLC_6YEHxK8ncdxVUPXt5A-S5NONUtKjoZH3FIfkU_AhUS4B3tfCUE",
    "h9HVjAG7kCeSbaGjyAm0iN7GVRcI1S6nBovnKf1k1GXMHgayLDFrRSPt52jRNv38SG2GSG6o9aqAmL5OMer3ah4vBPRU-SUNxfL2T0Vxzr5vdQeROeI",
    "4gO9HVFjORbEmtLX_uLunqwVssizd50IRdOU6NS0Zrd4sKwMacfjZ_NktrGjH_uOoxkKU7lkUq--526lxNtCcVLfh4yM5QKrCjnMUEJBm3RKorv45JM",
]


def scan_photo(page: Page, path) -> None:
    page.set_input_files("#door-photo", str(path))


def qr_photo(tmp_path, text: str):
    path = tmp_path / f"qr-{uuid.uuid4().hex[:8]}.png"
    segno.make(text, error="m", micro=False).save(str(path), scale=6, border=4)
    return path


@phone_only
def test_a_qr_photo_is_decoded_in_the_browser(page: Page, viewport: str, live, tmp_path):
    event, steward, _owner = live
    names = ["Katherine Johnson", "Dorothy Vaughan", "Mary Jackson", "Annie Easley", "Melba Mouton",
             "Christine Darden"]
    holders = buy_live(event, event.both_days, names)
    blank = tmp_path / "blank.png"
    blank.write_bytes(_white_png())
    sign_in(page, steward)
    open_scanner(page, event)

    for name, ticket in zip(names, holders):  # six codes: each run tries six fresh QR codes
        scan_photo(page, qr_photo(tmp_path, ticket.code))
        expect(answer(page, "admitted")).to_contain_text(name)
        dismiss(page)
    for text in MISSED_BY_STOCK_ZXING:  # read from the photo, sent, and refused by the server
        scan_photo(page, qr_photo(tmp_path, text))
        expect(answer(page, "unknown_code")).to_contain_text("Unknown ticket")
        dismiss(page)
    scan_photo(page, blank)
    expect(answer(page, "no_code")).to_contain_text("No QR code found")
    dismiss(page)
    admitted = sorted((c.ticket_id, c.session_id) for c in checkins(event))
    assert admitted == sorted((t.id, event.today) for t in holders)


@phone_only
def test_offline_scans_are_judged_on_the_phone_queued_and_synced(page: Page, viewport: str, live):
    event, steward, _owner = live
    context = page.context
    ada, grace, alan, gone = buy_live(event, event.today_only, ["Ada Lovelace", "Grace Hopper", "Alan Turing",
                                                                 "Cancelled Carl"])
    cancel(gone.order_id, event.owner, now=utcnow(), by_organizer=True, ticket_ids=[gone.id])
    sign_in(page, steward)
    open_scanner(page, event)
    page.locator("#door-gate").fill("Side door")

    context.set_offline(True)
    expect(page.locator("#door-scanner")).to_have_attribute("data-online", "false")
    expect(page.locator("#door-status")).to_contain_text("OFFLINE")
    type_code(page, ada.code)
    expect(answer(page, "admitted")).to_contain_text("Offline — decided on this phone")
    snapshot(page, f"door-offline-admitted-{viewport}")
    dismiss(page)
    type_code(page, ada.code)
    expect(answer(page, "already_checked_in")).to_contain_text("by Side door")
    dismiss(page)
    type_code(page, gone.code)  # its cancellation reached the phone with the ticket list
    answer(page, "cancelled")
    dismiss(page)
    page.locator("#door-tab-search").click()
    page.locator("#door-search").fill("grace")
    page.locator("#door-search-results li", has_text="Grace Hopper").get_by_role("button").click()
    answer(page, "admitted")
    dismiss(page)
    type_code(page, alan.code)
    answer(page, "admitted")
    dismiss(page)
    expect(page.locator("#door-queue")).to_have_text("3 to sync")
    snapshot(page, f"door-offline-queue-{viewport}")
    assert checkins(event) == []  # nothing reached the server

    # Meanwhile another gate, online, lets Alan in too: the server will see two admissions.
    later = in_tx(admission.scan_ticket, event_id=event.event_id, user_id=event.owner, code=alan.code,
                  gate="Main door", now=utcnow())
    assert later.admitted

    context.set_offline(False)
    expect(page.locator("#door-sync-note")).to_contain_text("Synced 3 offline scans · 1 conflict", timeout=30_000)
    expect(page.locator("#door-queue")).to_have_count(0)
    expect(page.locator("#door-scanner")).to_have_attribute("data-online", "true")
    expect(counter(page, event.today)).to_have_text("3", timeout=30_000)  # the page reloads once reconnected
    snapshot(page, f"door-synced-{viewport}")
    rows = {c.ticket_id: c for c in checkins(event)}
    assert set(rows) == {ada.id, grace.id, alan.id}
    assert rows[ada.id].offline and rows[ada.id].gate == "Side door"
    assert rows[alan.id].gate == "Side door"  # scanned first, offline: it stands as the first admission
    with session_scope(readonly=True) as db:
        (conflict,) = db.exec(select(CheckInConflict)).all()
    assert (conflict.ticket_id, conflict.first_gate, conflict.second_gate) == (alan.id, "Side door", "Main door")


@phone_only
def test_the_live_camera_scans_a_ticket(browser, app_url: str, viewport: str, live, tmp_path):
    """Chromium's fake camera plays a QR code as video: the real getUserMedia + zxing path."""
    event, steward, _owner = live
    (guest,) = buy_live(event, event.today_only, ["Barbara Liskov"])
    video = tmp_path / "camera.y4m"
    video.write_bytes(_qr_video(guest.code))
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS

    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ])
    try:
        context = camera_browser.new_context(viewport=VIEWPORTS[viewport], base_url=app_url, is_mobile=True,
                                             has_touch=True)
        context.grant_permissions(["camera"])
        page = context.new_page()
        sign_in(page, steward)
        open_scanner(page, event)
        page.locator("#door-camera-start").click()
        # The camera needs a few frames before one decodes: the wait must cover the answer showing.
        expect(answer(page, "admitted", timeout=20_000)).to_contain_text("Barbara Liskov")
        snapshot(page, f"door-camera-admitted-{viewport}")
        dismiss(page)
        # The same ticket still in front of the camera is not sent again and again.
        page.wait_for_timeout(1500)
        assert len(checkins(event)) == 1
    finally:
        camera_browser.close()


def test_door_pages_and_the_organizers_conflicts(page: Page, viewport: str, live):
    event, steward, owner = live
    (ada,) = buy_live(event, event.today_only, ["Ada Lovelace"])
    now = utcnow()
    in_tx(admission.scan_ticket, event_id=event.event_id, user_id=event.steward, code=ada.code, gate="Main",
          now=now)
    in_tx(admission.scan_ticket, event_id=event.event_id, user_id=event.steward, code=ada.code, gate="Side",
          scanned_at=now, now=utcnow())  # a second, offline admission synced later
    sign_in(page, steward)
    page.goto("/door")
    expect(page.locator("#door-events")).to_contain_text("Harbour Jazz Night")
    snapshot(page, f"door-events-{viewport}")
    page.locator("#door-events a").first.click()
    expect(page.locator("#door-scanner")).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(page.locator("#door-history [data-result]")).to_have_count(2)
    expect(page.get_by_text("1 offline conflict: the organizer sees them")).to_be_visible()
    expect(page.locator("#door-device")).to_contain_text("list of 1 ticket from")
    snapshot(page, f"door-page-{viewport}")

    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")
    sign_in(page, owner)
    page.goto(f"/manage/events/{event.event_id}")
    expect(page.locator("#door-conflicts")).to_contain_text("Admitted twice: Main at")
    expect(page.locator(f"[data-session='{event.today}'] .checked-in")).to_have_text("1")
    snapshot(page, f"dashboard-door-{viewport}")


def _white_png() -> bytes:
    """A 64x64 white PNG (no QR code in it), made without an imaging library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff" * 64 for _ in range(64))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _qr_video(text: str, size: int = 480, frames: int = 10) -> bytes:
    """A Y4M video (what Chromium's fake camera plays) showing a QR code of `text`."""
    qr = segno.make(text, error="m")
    modules = list(qr.matrix_iter(scale=1, border=4))
    scale = (size - 40) // len(modules)
    offset = (size - scale * len(modules)) // 2
    luma = bytearray([235]) * (size * size)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (offset + y * scale + dy) * size + offset + x * scale
                    luma[start:start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (size * size // 2)
    header = f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + b"".join(b"FRAME\n" + bytes(luma) + chroma for _ in range(frames))


def test_a_seated_ticket_shows_its_seat_at_the_door(page: Page, viewport: str):
    from tests.builders import T0, make_buyers
    from tests.checkin_helpers import token_for
    from tests.e2e.conftest import sign_in_as
    from tests.seating_builders import make_seated_event
    from ticketing.models import Ticket
    from ticketing.services.sales import orders
    from ticketing.services.seating import seat_sales

    with session_scope() as db:
        show = make_seated_event(db, bands=[("Free", 0, None)])
        (buyer,) = make_buyers(db, 1)
        buyer_id = buyer.id
    held = in_tx(seat_sales.hold_seats, event_id=show.event_id, session_id=show.session_id, user_id=buyer_id,
                 idxs=[show.idx("Stalls", "A", 3)], now=T0)
    order = in_tx(orders.checkout, hold_id=held.hold.id, user_id=buyer_id, attendees=None, now=T0)
    with session_scope(readonly=True) as db:
        code = db.exec(select(Ticket.code).where(Ticket.order_id == order.id)).one()
    sign_in_as(page, token_for(show.owner_id))
    page.goto(f"/door/{show.event_id}")
    expect(page.locator("#door-scanner")).to_have_attribute("data-ready", "true", timeout=30_000)
    type_code(page, code)
    expect(answer(page, "admitted").locator("#door-result-seat")).to_have_text("Stalls · Row A · Seat 3")
    snapshot(page, f"door-admitted-seat-{viewport}")
