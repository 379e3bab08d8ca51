"""Mails and Stripe follow-ups are jobs queued with the change that causes them: a Stripe webhook
that arrives before the payment's commit, twice, or out of order gives one confirmation and no
double refund; a free checkout's request writes no mail; a job that fails for good is shown to
the organization's owners and organizers. Real PostgreSQL and localstripe."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.api_client import Api
from tests.builders import make_buyers
from tests.jobs_helpers import backends_waiting_on_a_lock, queued
from tests.payments_helpers import (
    charge_of,
    deliver,
    intent_event,
    make_shop,
    order_for,
    outbox,
    pay_at_stripe_only,
    place_taken_meanwhile,
    stripe_event,
)
from ticketing.db import get_engine, lock_rows, session_scope
from ticketing.jobs.queue import enqueue
from ticketing.jobs.tasks import RETRY
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models import Event, JobFailure, Membership, Order, Refund, Role, User
from ticketing.models.base import utcnow
from ticketing.payments import intents, stripe_api
from ticketing.services.accounts.tokens import issue_token
from ticketing.settings import get_settings

pytestmark = pytest.mark.usefixtures("localstripe")


def token_for(user_id: uuid.UUID) -> str:
    with session_scope(readonly=True) as db:
        user = db.get(User, user_id)
        return issue_token(user_id=user.id, token_version=user.token_version, now=utcnow())


def buyer_email(shop) -> str:
    with session_scope(readonly=True) as db:
        return db.get(User, shop.buyer_id).email


def outbox_files() -> list[Path]:
    """The outbox as it is, without running any job."""
    return sorted(Path(get_settings().outbox_dir).glob("*.eml"))


def test_a_webhook_arriving_before_the_payments_commit_then_twice_and_out_of_order_mails_once():
    shop = make_shop()
    order = order_for(shop)
    intent_id = pay_at_stripe_only(order)
    facts, _secret = stripe_api.retrieve_intent(intent_id)
    first = intent_event("succeeded", intent_id)
    answers: list[str] = []
    webhook = threading.Thread(target=lambda: answers.append(deliver(first)))
    # The card payment's own transaction (pay_with_card applies Stripe's answer in one): it holds
    # the order when the webhook for the same payment comes in, and commits only afterwards.
    with session_scope() as db:
        lock_rows(db, Order, [order.id])
        webhook.start()
        deadline = time.monotonic() + 30
        while backends_waiting_on_a_lock() == 0:  # the webhook now waits for our commit
            assert webhook.is_alive() and time.monotonic() < deadline, answers
            time.sleep(0.02)
        assert intents.apply_facts_in(db, facts, now=utcnow()).outcome == "confirmed"
    webhook.join(timeout=30)
    assert answers == ["already_confirmed"]
    assert deliver(first) == "duplicate"  # delivered twice
    assert deliver(intent_event("succeeded", intent_id)) == "already_confirmed"  # another event, same news
    assert deliver(intent_event("payment_failed", intent_id)) == "already_confirmed"  # stale, out of order
    assert deliver(intent_event("processing", intent_id)) == "already_confirmed"
    assert [j["task_name"] for j in queued("order_confirmation")] == ["order_confirmation"]

    mails = outbox(buyer_email(shop))
    assert len(mails) == 1 and order.number in mails[0]["Subject"]
    with session_scope(readonly=True) as db:
        assert db.get(Order, order.id).status == "confirmed"
        assert db.exec(select(Refund).where(Refund.order_id == order.id)).all() == []
    # The same job once more (a retry, a duplicate): the mail does not go out again.
    with session_scope() as db:
        enqueue(db, "order_confirmation", order_id=str(order.id))
    assert len(outbox(buyer_email(shop))) == 1


def test_a_late_payment_told_twice_at_once_and_out_of_order_is_refunded_once():
    shop = make_shop(capacity=1)
    order = order_for(shop)
    intent_id = place_taken_meanwhile(shop, order)  # the only place went to someone else meanwhile

    answers: list[str] = []
    both = [threading.Thread(target=lambda: answers.append(deliver(intent_event("succeeded", intent_id))))
            for _ in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join(timeout=30)
    # Both tell the truth (a late payment, refunded); only the first owed the refund.
    assert answers == ["refund_late_payment", "refund_late_payment"]
    deliver(intent_event("payment_failed", intent_id))  # stale, out of order
    assert len(queued("refund")) == 1 and len(queued("payment_refunded_notice")) == 3
    run_pending_jobs()  # the refund goes to Stripe, the buyer is told (once: one mail per purpose)

    charge_id = charge_of(intent_id)
    assert deliver(stripe_event("charge.refunded", {"id": charge_id, "object": "charge"})) == "refund_recorded"
    deliver(intent_event("succeeded", intent_id))  # the same news again, after the refund
    with session_scope(readonly=True) as db:
        (refund,) = db.exec(select(Refund).where(Refund.order_id == order.id)).all()
    with session_scope() as db:  # the refund's job once more: Stripe is not asked to pay twice
        enqueue(db, "refund", refund_id=str(refund.id))
    run_pending_jobs()
    with session_scope(readonly=True) as db:
        (refund,) = db.exec(select(Refund).where(Refund.order_id == order.id)).all()
    assert (refund.status, refund.amount_minor) == ("succeeded", 2500)
    assert stripe_api.retrieve_charge(charge_id) == (intent_id, 2500)  # refunded once, not twice
    (notice,) = outbox(buyer_email(shop))
    assert "refunded" in notice["Subject"]


def test_a_free_checkouts_request_queues_its_mail_and_the_job_sends_it_once():
    shop = make_shop(price_minor=0, capacity=3)
    token = token_for(shop.buyer_id)
    api = Api()
    hold = api.post(f"/events/{shop.event_id}/holds", token=token,
                    json={"items": [{"ticket_type_id": str(shop.type_id), "quantity": 2}]}).json()
    before = outbox_files()
    body = api.post(f"/holds/{hold['id']}/checkout", token=token, json={}).json()
    assert body["status"] == "confirmed"
    assert outbox_files() == before  # the request wrote no mail (nor rendered its QR codes)
    (job,) = queued("order_confirmation")
    assert (job["status"], job["args"]) == ("todo", {"order_id": body["id"]})
    run_pending_jobs()
    run_pending_jobs()
    with session_scope() as db:
        enqueue(db, "order_confirmation", order_id=body["id"])  # a job run twice
    (mail,) = outbox(buyer_email(shop))
    assert body["number"] in mail["Subject"]
    assert len([p for p in mail.walk() if p.get_content_type() == "image/png"]) == 2
    assert queued("order_confirmation") == []  # done jobs are deleted


def test_a_job_that_fails_for_good_is_listed_for_owners_and_organizers_only(monkeypatch):
    shop = make_shop(price_minor=0)
    order = order_for(shop)
    with session_scope() as db:
        enqueue(db, "order_confirmation", order_id=str(order.id))
    # Mail cannot go out (nothing listens on the SMTP port) and this is the job's last attempt.
    monkeypatch.setattr("ticketing.notifications.mailer.get_settings", lambda: dataclasses.replace(
        get_settings(), smtp_host="127.0.0.1", smtp_port=9, smtp_starttls=False))
    (job,) = queued("order_confirmation")
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE procrastinate_jobs SET attempts = :n WHERE id = :id"),
                     {"n": RETRY.max_attempts, "id": job["id"]})  # failed runs before this one
    run_pending_jobs()
    assert [j["status"] for j in queued("order_confirmation")] == ["failed"]

    with session_scope() as db:
        org_id = db.get(Event, shop.event_id).organization_id
        owner_id = db.exec(select(Membership.user_id).where(Membership.organization_id == org_id)).one()
        door, stranger = make_buyers(db, 2)
        db.add(Membership(organization_id=org_id, user_id=door.id, role=Role.door.value, created_at=utcnow()))
    api = Api()
    r = api.get(f"/orgs/{org_id}/jobs/failed", token=token_for(owner_id))
    assert r.status_code == 200, r.text
    (failed,) = r.json()
    assert (failed["task"], failed["subject"], failed["attempts"]) == (
        "order_confirmation", f"order {order.number}", RETRY.max_attempts + 1)
    assert "Connection" in failed["error"] or "refused" in failed["error"].lower()
    assert api.get(f"/orgs/{org_id}/jobs/failed", token=token_for(door.id)).status_code == 403
    assert api.get(f"/orgs/{org_id}/jobs/failed", token=token_for(stranger.id)).status_code == 404
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(JobFailure)).all()) == 1
