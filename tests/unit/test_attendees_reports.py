"""Attendee lists (per event and session, search, CSV), organizer cancellations through the
order service, ticket resends, and the sales report's figures."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import uuid

import pytest
from sqlmodel import select

from tests.builders import T0, error_of, in_tx, load, make_buyers, make_workshop
from ticketing.db import session_scope
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models import Order, Refund
from ticketing.notifications.console_mail import deliver, ticket_message
from ticketing.payments import refunds
from ticketing.services.reporting import attendees, sales_report
from ticketing.services.sales import holds, orders, payments
from ticketing.services.sales.ticket_holders import Attendee


@pytest.fixture(autouse=True)
def sent_refunds(monkeypatch) -> list[uuid.UUID]:
    """Refunds the app asked Stripe for after commit (recorded here; they stay pending)."""
    asked: list[uuid.UUID] = []
    monkeypatch.setattr(refunds, "send_refund", asked.append)
    return asked


def pay(order: Order, amount: int | None = None, intent_id: str | None = None):
    """Stripe's word that the order's PaymentIntent succeeded, applied as the webhook does."""
    intent = payments.IntentFacts(id=intent_id or f"pi_{uuid.uuid4().hex}", order_id=order.id, status="succeeded",
                                  amount=order.total_minor if amount is None else amount, currency=order.currency)
    in_tx(payments.apply_intent, intent=intent, now=T0)
    return load(Order, order.id)


def refunds_of(order_id: uuid.UUID) -> list[tuple[int, str]]:
    with session_scope(readonly=True) as db:
        return [(r.amount_minor, r.status) for r in db.exec(select(Refund).where(Refund.order_id == order_id)
                                                            .order_by(Refund.created_at, Refund.amount_minor))]


@pytest.fixture
def sold():
    """A workshop with two paid orders and one unpaid one."""
    with session_scope() as db:
        w = make_workshop(db, timezone="Europe/Berlin")
        ana, ben, cy = make_buyers(db, 3)
    w.extra.update(ana=ana, ben=ben, cy=cy)

    def buy(user, items, attendees=None, pay=True):
        h = in_tx(holds.hold_tickets, event_id=w.event_id, user_id=user.id, items=items, now=T0)
        order = in_tx(orders.checkout, hold_id=h.id, user_id=user.id, attendees=attendees, now=T0)
        return globals()["pay"](order) if pay else order

    w.extra["series"] = buy(ana, [(w.series, 2)], [Attendee("Ana Alves", ana.email), Attendee("=HYPERLINK(1)", "x@y.z")])
    w.extra["day1"] = buy(ben, [(w.day1_pass, 1)])
    w.extra["unpaid"] = buy(cy, [(w.day3_pass, 1)], pay=False)
    return w


def listing(w, **kw):
    return in_tx(attendees.list_attendees, user_id=w.owner_id, event_id=w.event_id, now=T0, **kw)


def test_lists_per_event_and_per_session_with_search(sold):
    everyone = listing(sold)
    assert everyone.total == 4
    assert [r.holder_name for r in everyone.rows] == ["=HYPERLINK(1)", "Ana Alves", "Buyer 1", "Buyer 2"]
    ana = next(r for r in everyone.rows if r.holder_name == "Ana Alves")
    assert ana.ticket_type == "Full Series Pass" and len(ana.sessions) == 3 and ana.payment == "Paid"
    assert next(r for r in everyone.rows if r.holder_name == "Buyer 2").payment == "Awaiting payment"
    assert listing(sold, session_id=sold.day1).total == 3  # two series passes + the day-1 pass
    assert listing(sold, session_id=sold.day3).total == 3  # two series passes + the unpaid day-3 pass
    assert [r.holder_name for r in listing(sold, search="alves").rows] == ["Ana Alves"]
    assert listing(sold, search=sold.extra["day1"].number).total == 1
    assert listing(sold, search="nobody here").total == 0
    later = T0.replace(year=2031)  # the unpaid order's deadline has passed
    assert in_tx(attendees.list_attendees, user_id=sold.owner_id, event_id=sold.event_id, now=later).total == 3


def test_csv_export_has_every_row_and_defuses_formulas(sold):
    rows = list(csv.reader(io.StringIO(attendees.attendees_csv(listing(sold)))))
    assert rows[0][:3] == ["Name", "Email", "Ticket type"] and len(rows) == 5
    assert rows[1][0] == "'=HYPERLINK(1)"  # a spreadsheet shows it as text, never runs it
    assert rows[2][9] == "150.00" and rows[2][8] == "Paid"


def test_organizer_cancels_a_ticket_then_a_whole_order(sold, sent_refunds):
    call = dict(user_id=sold.owner_id, event_id=sold.event_id, now=T0, cancel_order=refunds.cancel_order_refunding)
    series = sold.extra["series"]
    first = next(r for r in listing(sold).rows if r.holder_name == "Ana Alves")
    done = in_tx(attendees.cancel_ticket, ticket_id=first.ticket_id, **call)
    assert done.refund_minor == 15000 and load(Order, series.id).status == "confirmed"
    assert listing(sold, show="cancelled").total == 1
    ana_row = next(r for r in listing(sold, show="all").rows if r.order_number == series.number)
    assert ana_row.payment == "Partly refunded"
    assert refunds_of(series.id) == [(15000, "pending")] and sent_refunds == []  # a job asks Stripe after commit
    run_pending_jobs()
    assert len(sent_refunds) == 1
    done = in_tx(attendees.cancel_whole_order, order_id=series.id, **call)
    assert done.refund_minor == 15000 and load(Order, series.id).status == "cancelled"
    run_pending_jobs()
    assert refunds_of(series.id) == [(15000, "pending"), (15000, "pending")] and len(sent_refunds) == 2
    assert next(r for r in listing(sold, show="all").rows if r.order_number == series.number).payment == "Refunded"
    # Another event's ids are unknown here.
    with session_scope() as db:
        other = make_workshop(db)
    assert error_of(attendees.cancel_whole_order, order_id=series.id, user_id=other.owner_id,
                    event_id=other.event_id, now=T0).code == "not_found"
    assert error_of(attendees.cancel_ticket, ticket_id=first.ticket_id, user_id=sold.extra["ben"].id,
                    event_id=sold.event_id, now=T0).code == "not_found"


def test_resending_a_ticket_mails_it_with_its_qr_code_through_the_apps_mailer(sold):
    from pathlib import Path

    from ticketing.services.door.ticket_files import qr_png
    from ticketing.settings import get_settings

    mails = in_tx(attendees.tickets_to_resend, user_id=sold.owner_id, event_id=sold.event_id,
                  order_id=sold.extra["series"].id)
    assert [m.holder_name for m in mails] == ["Ana Alves", "=HYPERLINK(1)"]
    (path,) = deliver([ticket_message(mails[0])])
    assert Path(path).parent == Path(get_settings().outbox_dir)  # the app's mailer and its settings
    # Parsed, not raw: a signed ticket code is longer than a mail line, so the file folds it.
    message = email.message_from_string(open(path, encoding="utf-8").read(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert mails[0].code in text and "Day 1 - Foundations" in text and mails[0].holder_email in str(message["To"])
    assert message["From"] == get_settings().mail_from
    page = message.get_body(preferencelist=("html",)).get_content()
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert images and all(part.get_content() == qr_png(mails[0].code) for part in images)
    inline = next(part for part in images if part["Content-ID"])
    assert f"cid:{inline['Content-ID'][1:-1]}" in page  # shown in the mail, and attached for printing
    assert any(part.get_filename() == f"ticket-{sold.extra['series'].number}.png" for part in images)
    in_tx(attendees.cancel_whole_order, order_id=sold.extra["day1"].id, user_id=sold.owner_id,
          event_id=sold.event_id, now=T0)
    assert error_of(attendees.tickets_to_resend, user_id=sold.owner_id, event_id=sold.event_id,
                    order_id=sold.extra["day1"].id).code == "not_resendable"


def test_report_figures(sold):
    report = in_tx(sales_report.event_report, user_id=sold.owner_id, event_id=sold.event_id, now=T0)
    assert (report.gross_minor, report.refunds_minor, report.net_minor) == (36000, 0, 36000)
    assert report.tickets_sold == 3 and report.paid_orders == 2
    by_type = {t.name: t for t in report.by_type}
    assert (by_type["Full Series Pass"].sold, by_type["Full Series Pass"].revenue_minor) == (2, 30000)
    assert by_type["Day 3 Only"].sold == 0  # unpaid orders are not sales
    assert [(d.tickets, d.gross_minor) for d in report.by_day] == [(3, 36000)]
    day1 = report.sessions[0]
    assert (day1.sold, day1.capacity, day1.utilisation) == (3, 20, 15)
    assert report.sessions[2].pending == 1

    in_tx(attendees.cancel_whole_order, order_id=sold.extra["day1"].id, user_id=sold.owner_id,
          event_id=sold.event_id, now=T0, cancel_order=refunds.cancel_order_refunding)
    report = in_tx(sales_report.event_report, user_id=sold.owner_id, event_id=sold.event_id, now=T0)
    assert (report.gross_minor, report.refunds_minor, report.net_minor) == (36000, 6000, 30000)
    assert {t.name: t.cancelled for t in report.by_type}["Day 1 Only"] == 1
    text = sales_report.report_csv(report)
    assert "Net,300.00" in text and "Full Series Pass,2,0,300.00,15" in text
    with session_scope() as db:
        stranger = make_buyers(db, 1)[0]
    assert error_of(sales_report.event_report, user_id=stranger.id, event_id=sold.event_id,
                    now=T0).code == "not_found"


def test_check_ins_at_the_door_show_in_the_list_the_csv_and_the_report(sold):
    from datetime import timedelta

    from ticketing.models import EventSession
    from ticketing.services.door import admission

    ana = next(r for r in listing(sold).rows if r.holder_name == "Ana Alves")
    start = load(EventSession, sold.day1).starts_at
    answer = in_tx(admission.scan_ticket, event_id=sold.event_id, user_id=sold.owner_id, ticket_id=ana.ticket_id,
                   session_id=sold.day1, gate="North", now=start + timedelta(minutes=5))
    assert answer.admitted

    rows = {r.holder_name: r for r in listing(sold).rows}
    assert rows["Ana Alves"].checked_in == [("Day 1 - Foundations", start + timedelta(minutes=5))]
    assert rows["Buyer 1"].checked_in == [] and rows["Ana Alves"].checked_in_here is None
    day1 = {r.holder_name: r for r in listing(sold, session_id=sold.day1).rows}
    assert day1["Ana Alves"].checked_in_here == start + timedelta(minutes=5)
    assert day1["Buyer 1"].checked_in_here is None
    day2 = {r.holder_name: r for r in listing(sold, session_id=sold.day2).rows}
    assert day2["Ana Alves"].checked_in_here is None  # her pass admits to day 2, she has not come yet
    csv_rows = {r[0]: r for r in csv.reader(io.StringIO(attendees.attendees_csv(listing(sold))))}
    assert csv_rows["Ana Alves"][11].startswith("Day 1 - Foundations ")

    report = in_tx(sales_report.event_report, user_id=sold.owner_id, event_id=sold.event_id,
                   now=start + timedelta(hours=1))
    assert [s.checked_in for s in report.sessions] == [1, 0, 0]
    assert report.sessions[0].checkin_rate == 33  # 1 of the 3 places sold for day 1
    assert (report.expected_admissions, report.checkin_rate) == (3, 33)  # only day 1 has started


def test_report_money_comes_from_the_payment_and_refund_records(sold):
    def report():
        return in_tx(sales_report.event_report, user_id=sold.owner_id, event_id=sold.event_id, now=T0)

    def payment_label(order):
        return next(r for r in listing(sold, show="all").rows if r.order_number == order.number).payment

    series, day1 = sold.extra["series"], sold.extra["day1"]
    call = dict(user_id=sold.owner_id, event_id=sold.event_id, now=T0, cancel_order=refunds.cancel_order_refunding)
    in_tx(attendees.cancel_whole_order, order_id=day1.id, **call)
    (refund_id,) = [r for r in in_tx(payments.order_refunds, order_id=day1.id)]
    r = report()
    assert (r.gross_minor, r.refunds_minor, r.net_minor, r.refunds_pending_minor) == (36000, 6000, 30000, 6000)
    in_tx(payments.complete_refund, refund_id=refund_id.id, now=T0, stripe_refund_id="re_1")
    r = report()
    assert (r.refunds_minor, r.refunds_pending_minor, r.refunds_failed_minor) == (6000, 0, 0)
    assert payment_label(day1) == "Refunded"

    # Stripe refuses a refund: nothing went back, the organizer must see it.
    first = next(r for r in listing(sold).rows if r.order_number == series.number)
    in_tx(attendees.cancel_ticket, ticket_id=first.ticket_id, **call)
    refused = next(x for x in in_tx(payments.order_refunds, order_id=series.id))
    in_tx(payments.complete_refund, refund_id=refused.id, now=T0, error="charge disputed")
    r = report()
    assert (r.gross_minor, r.refunds_minor, r.net_minor, r.refunds_failed_minor) == (36000, 6000, 30000, 15000)
    assert payment_label(series) == "Refund failed"
    assert "Refunds refused by Stripe (not given back),150.00" in sales_report.report_csv(r)

    # A second PaymentIntent paid for an order already paid: taken, then owed back in full.
    pay(load(Order, series.id), amount=30000)
    r = report()
    assert (r.gross_minor, r.refunds_minor, r.net_minor) == (66000, 36000, 30000)
    assert r.paid_orders == 2 and [(d.tickets, d.gross_minor) for d in r.by_day] == [(3, 66000)]

    # An order confirmed without any payment record is flagged, and counts no money.
    with session_scope() as db:
        buyer = make_buyers(db, 1, name="Walk-in")[0]
    h = in_tx(holds.hold_tickets, event_id=sold.event_id, user_id=buyer.id, items=[(sold.day2_pass, 1)], now=T0)
    order = in_tx(orders.checkout, hold_id=h.id, user_id=buyer.id, attendees=None, now=T0)
    order = in_tx(orders.confirm_order, order_id=order.id, now=T0)
    assert payment_label(order) == "No payment record"
    assert report().gross_minor == 66000


def test_cancelling_the_event_cancels_and_refunds_every_order(sold):
    from ticketing.models import Event
    from ticketing.notifications.console_mail import cancellation_messages
    from ticketing.services.catalog.event_cancellation import cancel_event_with_orders

    done = in_tx(cancel_event_with_orders, user_id=sold.owner_id, event_id=sold.event_id, now=T0)
    assert (done.orders_cancelled, done.tickets_cancelled, done.refund_minor) == (3, 4, 36000)
    assert load(Event, sold.event_id).status == "cancelled"
    assert {load(Order, sold.extra[k].id).status for k in ("series", "day1", "unpaid")} == {"cancelled"}
    messages = cancellation_messages(done)
    assert len(messages) == 4  # Ana, her guest, Ben, Cy
    assert all("has been cancelled" in m.get_content() for m in messages)
    assert listing(sold).total == 0
