"""The ledger against a real localstripe (patched to report Stripe's 1.5% + 0.25 fee): a card
payment posts the payment and its fee read from the charge's balance transaction, webhooks
delivered twice post once, refunds of every path post, payouts post from their webhook, and the
reconciliation matches Stripe and finds differences planted on purpose."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.api_client import Api
from tests.ledger_helpers import account_net, assert_books_balance, entries, kinds, org_of, owner_of
from tests.payments_helpers import (
    VISA,
    charge_of,
    deliver,
    make_shop,
    order_for,
    place_taken_meanwhile,
    stripe_event,
)
from tests.stripe_server import tokenize_card
from ticketing.db import session_scope
from ticketing.jobs.worker import run_pending_jobs
from ticketing.models import Refund
from ticketing.models.base import utcnow
from ticketing.payments import intents, reconcile, refunds, stripe_api
from ticketing.services.catalog.event_cancellation import cancel_event_with_orders
from ticketing.services.ledger.journal import credit, debit, post_entry
from ticketing.services.reporting import sales_report
from ticketing.services.sales import orders
from ticketing.settings import get_settings

pytestmark = pytest.mark.usefixtures("localstripe")


def fee(amount: int) -> int:
    """localstripe_fees' default: 1.5% (half up) + 25 minor units."""
    return (amount * 15 + 500) // 1000 + 25


def pay(shop, order) -> None:
    token = tokenize_card(get_settings().stripe_api_base, VISA)
    assert intents.pay_with_card(order_id=order.id, user_id=order.user_id, token_id=token).status == "succeeded"


def cancel_first_ticket(order, *, user_id, send: bool = True) -> None:
    """The buyer cancels the order's first ticket still valid; its refund is a job queued with the
    cancellation, run at once unless `send` is false (then the refund stays pending)."""
    with session_scope() as db:
        first = next(t.id for t in orders.order_tickets(db=db, order_id=order.id) if t.status != "cancelled")
    with session_scope() as db:
        refunds.cancel_order_with_refund(db=db, order_id=order.id, user_id=user_id, ticket_ids=[first], now=utcnow())
    if send:
        run_pending_jobs()


def owner_token(org) -> str:
    from ticketing.models import User
    from ticketing.services.accounts.tokens import issue_token

    with session_scope(readonly=True) as db:
        owner = db.get(User, owner_of(org))
        return issue_token(user_id=owner.id, token_version=owner.token_version, now=utcnow())


def test_a_card_payment_posts_the_payment_and_stripes_fee_once():
    shop = make_shop(capacity=3)
    org = org_of(shop.event_id)
    order = order_for(shop, quantity=2)
    pay(shop, order)
    assert kinds(org) == {"payment": 1, "stripe_fee": 1}
    net = account_net(org)
    assert net["stripe_balance"] == 5000 - fee(5000) and net["stripe_fees"] == fee(5000) == 100
    assert net["ticket_revenue"] == -5000
    (payment, _), (fee_entry, _) = entries(org)
    assert payment.stripe_ref and payment.stripe_ref == fee_entry.stripe_ref  # the charge's balance transaction
    txn = stripe_api.client().v1.balance_transactions.retrieve(payment.stripe_ref).to_dict()
    assert (txn["amount"], txn["fee"], txn["net"]) == (5000, 100, 4900)  # what Stripe reported, posted

    event = stripe_event("payment_intent.succeeded", {"id": payment.source_id, "object": "payment_intent"})
    assert deliver(event) == "already_confirmed"
    assert deliver(event) == "duplicate"  # the same delivery twice
    second = stripe_event("payment_intent.succeeded", {"id": payment.source_id, "object": "payment_intent"})
    assert deliver(second) == "already_confirmed"  # another event, same payment
    assert kinds(org) == {"payment": 1, "stripe_fee": 1}
    assert_books_balance(org)


def test_refunds_of_every_path_post_and_the_books_balance():
    shop = make_shop(capacity=4, cancellation_fee_percent=10)
    org = org_of(shop.event_id)
    owner = owner_of(org)
    # 1. the buyer cancels one of two tickets: 90% of 25.00 back
    first = order_for(shop, quantity=2)
    pay(shop, first)
    cancel_first_ticket(first, user_id=shop.buyer_id, send=False)
    # 2. a late payment whose places are gone: refunded in full by the webhook's path
    late = order_for(shop, user_id=shop.buyer_id, quantity=2)
    intent_id = place_taken_meanwhile(shop, late, quantity=3)
    assert deliver(stripe_event("payment_intent.succeeded", {"id": intent_id})) == "refund_late_payment"
    # 3. the organizer cancels the event: what is left of the first order comes back
    with session_scope() as db:
        cancel_event_with_orders(db=db, user_id=owner, event_id=shop.event_id, now=utcnow(),
                                 cancel_order=refunds.cancel_order_refunding)
    run_pending_jobs()  # every refund is a job queued with its cancellation

    with session_scope(readonly=True) as db:
        done = db.exec(select(Refund)).all()
    assert sorted((r.reason, r.amount_minor, r.status) for r in done) == [
        ("cancellation", 2250, "succeeded"), ("cancellation", 2500, "succeeded"), ("late_payment", 5000, "succeeded")]
    assert kinds(org) == {"payment": 2, "stripe_fee": 2, "refund": 3}
    net = account_net(org)
    assert net["ticket_revenue"] == -10000 and net["refunds"] == 2250 + 2500 + 5000
    assert net["stripe_fees"] == 2 * fee(5000)  # Stripe keeps its fee on refunds
    assert net["stripe_balance"] == 10000 - 2 * fee(5000) - 9750
    refs = {e.stripe_ref for e, _ in entries(org) if e.kind == "refund"}
    assert len(refs) == 3 and None not in refs  # each refund's own balance transaction
    assert_books_balance(org)


def test_a_payout_webhook_posts_once_and_a_failed_payout_is_reversed():
    shop = make_shop()
    org = org_of(shop.event_id)
    pay(shop, order_for(shop))
    payout = stripe_api.client().v1.payouts.create(
        params={"amount": 1000, "currency": "eur", "metadata": {"organization_id": str(org)}}).to_dict()
    stripe_api.client().v1.payouts.update(payout["id"], params={"status": "paid"})
    paid = stripe_event("payout.paid", {"id": payout["id"], "object": "payout"})
    assert deliver(paid) == "payout_posted"
    assert deliver(paid) == "duplicate"
    assert deliver(stripe_event("payout.paid", {"id": payout["id"]})) == "payout_already_posted"
    assert account_net(org)["bank"] == 1000
    stranger = stripe_api.client().v1.payouts.create(params={"amount": 500, "currency": "eur"}).to_dict()
    stripe_api.client().v1.payouts.update(stranger["id"], params={"status": "paid"})
    assert deliver(stripe_event("payout.paid", {"id": stranger["id"]})) == "payout_unassigned"
    stripe_api.client().v1.payouts.update(payout["id"], params={"status": "failed"})
    assert deliver(stripe_event("payout.failed", {"id": payout["id"]})) == "payout_reversed"
    assert account_net(org)["bank"] == 0 and kinds(org)["reversal"] == 1
    assert_books_balance(org)


def test_reconciliation_matches_stripe_and_lists_planted_differences():
    start = utcnow() - timedelta(minutes=5)
    shop = make_shop(capacity=3)
    org = org_of(shop.event_id)
    order = order_for(shop, quantity=2)
    pay(shop, order)
    cancel_first_ticket(order, user_id=shop.buyer_id)
    end = utcnow() + timedelta(minutes=5)
    clean = reconcile.reconcile(organization_id=org, date_from=start, date_to=end)
    assert (clean.matched, clean.differences) == (2, [])  # the charge (net of fee) and the refund

    # Planted: a refund made in Stripe's dashboard that nobody told us about...
    (payment, _), *_ = entries(org)
    stripe_api.client().v1.refunds.create(params={"payment_intent": payment.source_id, "amount": 300})
    # ...and a movement posted in the ledger that Stripe never made.
    with session_scope() as db:
        post_entry(db=db, organization_id=org, event_id=shop.event_id, kind="refund", memo="planted",
                   source_type="refund", source_id=str(uuid.uuid4()), cause="test", at=utcnow(),
                   stripe_ref="txn_planted", lines=[debit("refunds", "EUR", 700), credit("stripe_balance", "EUR", 700)])
        # ...and a fee "returned" on the charge that Stripe never returned.
        post_entry(db=db, organization_id=org, event_id=shop.event_id, kind="fee_refund", memo="planted",
                   source_type="payment", source_id=payment.source_id, cause="test", at=utcnow(),
                   stripe_ref=payment.stripe_ref, lines=[debit("stripe_balance", "EUR", 50),
                                                         credit("stripe_fees", "EUR", 50)])
    found = reconcile.reconcile(organization_id=org, date_from=start, date_to=utcnow() + timedelta(minutes=5))
    got = sorted((d["kind"], d["ledger_net"], d["stripe_net"]) for d in found.differences)
    assert got == [("amount_differs", 5000 - 100 + 50, 5000 - 100), ("missing_at_stripe", -700, 0),
                   ("missing_in_ledger", 0, -300)]
    assert found.matched == 1  # the cancellation's refund still matches


def test_a_dashboard_refund_racing_our_pending_refunds_is_posted_and_reconciles():
    """charge.refunded arrives while refunds of ours are pending: one not sent yet (its job has
    not run), one Stripe made whose job has not recorded Stripe's answer. The dashboard's refund
    is posted with its own amount, ours with theirs, each once; Stripe and the ledger agree."""
    start = utcnow() - timedelta(minutes=5)
    shop = make_shop(capacity=3)
    org = org_of(shop.event_id)
    order = order_for(shop, quantity=3)
    pay(shop, order)
    cancel_first_ticket(order, user_id=shop.buyer_id, send=False)  # 25.00 owed, not sent
    (payment, _), *_ = entries(org)
    stripe_api.client().v1.refunds.create(params={"payment_intent": payment.source_id, "amount": 300})
    assert deliver(stripe_event("charge.refunded", {"id": charge_of(payment.source_id)})) == "refund_recorded"
    assert account_net(org)["refunds"] == 300  # the dashboard's refund, though ours is pending

    cancel_first_ticket(order, user_id=shop.buyer_id, send=False)  # a second one: Stripe makes it...
    with session_scope(readonly=True) as db:
        second = db.exec(select(Refund).where(Refund.reason == "cancellation").order_by(Refund.created_at)).all()[1]
    stripe_api.create_refund(payment_intent_id=payment.source_id, amount_minor=second.amount_minor,
                             refund_id=second.id)
    # ...and tells us by webhook before the job records its answer.
    assert deliver(stripe_event("charge.refunded", {"id": charge_of(payment.source_id)})) == "refund_recorded"
    with session_scope(readonly=True) as db:
        assert db.get(Refund, second.id).status == "succeeded"
    run_pending_jobs()  # the first is sent now; the second's job finds it done
    assert deliver(stripe_event("charge.refunded", {"id": charge_of(payment.source_id)})) == "refund_recorded"

    with session_scope(readonly=True) as db:
        done = db.exec(select(Refund)).all()
    assert sorted((r.reason, r.amount_minor, r.status) for r in done) == [
        ("cancellation", 2500, "succeeded"), ("cancellation", 2500, "succeeded"), ("external", 300, "succeeded")]
    assert kinds(org)["refund"] == 3 and account_net(org)["refunds"] == 5300
    assert stripe_api.retrieve_charge(charge_of(payment.source_id))[1] == 5300
    found = reconcile.reconcile(organization_id=org, date_from=start, date_to=utcnow() + timedelta(minutes=5))
    assert (found.matched, found.differences) == (4, [])
    assert_books_balance(org)


def test_the_daily_reconciliation_is_a_periodic_job_that_keeps_its_result():
    from ticketing.jobs.queue import enqueue, new_app
    from ticketing.jobs.tasks import RECONCILE_CRON

    registered = {task.task.name: task.cron for task in new_app().periodic_registry.periodic_tasks.values()}
    assert registered["reconcile_books"] == RECONCILE_CRON
    shop = make_shop()
    org = org_of(shop.event_id)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    with session_scope() as db:  # yesterday, a movement Stripe never made
        post_entry(db=db, organization_id=org, event_id=shop.event_id, kind="refund", memo="planted",
                   source_type="refund", source_id=str(uuid.uuid4()), cause="test", at=today - timedelta(hours=12),
                   stripe_ref="txn_planted", lines=[debit("refunds", "EUR", 700), credit("stripe_balance", "EUR", 700)])
    with session_scope() as db:  # as procrastinate's periodic deferrer queues it when the cron is due
        enqueue(db, "reconcile_books", timestamp=int(utcnow().timestamp()))
    run_pending_jobs()

    token, api = owner_token(org), Api()
    last = api.get(f"/orgs/{org}/ledger/reconciliations/latest", token=token).json()
    day = "%Y-%m-%dT00:00:00Z"
    assert (last["period_from"], last["period_to"]) == ((today - timedelta(days=1)).strftime(day), today.strftime(day))
    assert [(d["kind"], d["ledger_net"]) for d in last["differences"]] == [("missing_at_stripe", "-7.00")]
    assert last["ran_at"] >= today.strftime(day)


def test_the_ledger_api_for_owners_only_with_problem_json():
    api = Api()
    owner = api.register(name="Owner")
    org = api.org(owner["token"])
    door = api.register(name="Door")
    assert api.post(f"/orgs/{org['id']}/members", token=owner["token"],
                    json={"email": door["email"], "role": "door"}).status_code == 201
    stranger = api.register(name="Stranger")
    base = f"/orgs/{org['id']}/ledger"
    assert api.get(f"{base}/trial-balance", token=owner["token"]).json()["accounts"] == []
    for who, status, code in ((door, 403, "forbidden"), (stranger, 404, "not_found")):
        r = api.get(f"{base}/entries", token=who["token"])
        assert (r.status_code, r.json()["code"]) == (status, code)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"{base}/entries").status_code == 401
    bad = api.get(f"{base}/entries", token=owner["token"], params={"from": "2026-01-01T00:00:00"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_datetime")  # no offset
    bad = api.get(f"{base}/entries", token=owner["token"], params={"kind": "gift"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_kind")
    assert api.get(f"{base}/events/{uuid.uuid4()}/summary", token=owner["token"]).status_code == 404


def test_the_books_through_the_api_after_a_purchase_and_a_refund():
    shop = make_shop(capacity=3, cancellation_fee_percent=10)
    org = org_of(shop.event_id)
    order = order_for(shop, quantity=2)
    pay(shop, order)
    cancel_first_ticket(order, user_id=shop.buyer_id)
    token = owner_token(org)
    api, base = Api(), f"/orgs/{org}/ledger"

    summary = api.get(f"{base}/events/{shop.event_id}/summary", token=token).json()
    assert summary == {"event_id": str(shop.event_id), "gross": "50.00", "discounts": "0.00", "refunds": "22.50",
                       "fees": "1.00", "cost_of_tickets": "0.00", "net": "26.50", "currency": "EUR"}
    with session_scope(readonly=True) as db:  # the console's Reports take the same figures from the ledger
        report = sales_report.event_report(db=db, user_id=owner_of(org), event_id=shop.event_id, now=utcnow())
    assert (report.gross_minor, report.refunds_minor, report.fees_minor, report.net_after_fees_minor) == (
        5000, 2250, 100, 2650)
    assert "Stripe fees,1.00" in sales_report.report_csv(report)
    tb = api.get(f"{base}/trial-balance", token=token).json()
    assert tb["debits"] == tb["credits"] == "73.50"  # 50.00 + 1.00 + 22.50 on each side
    assert {a["account"]: a["balance"] for a in tb["accounts"]} == {
        "stripe_balance": "26.50", "ticket_revenue": "-50.00", "refunds": "22.50", "stripe_fees": "1.00"}
    before = api.get(f"{base}/trial-balance", token=token, params={"at": "2000-01-01T00:00:00+00:00"}).json()
    assert before["accounts"] == [] and before["debits"] == "0.00"

    listed = api.get(f"{base}/entries", token=token, params={"kind": "refund"}).json()
    assert [(e["kind"], e["source"]["type"], e["lines"][0]["account"], e["lines"][0]["debit"]) for e in listed] == [
        ("refund", "refund", "refunds", "22.50")]
    assert len(api.get(f"{base}/entries", token=token, params={"limit": 2, "offset": 2}).json()) == 1

    csv = api.get(f"{base}/entries.csv", token=token, params={"event_id": str(shop.event_id)})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.strip().split("\r\n")
    assert rows[0] == "date,entry_id,reference,kind,memo,account,debit,credit,currency"
    assert len(rows) == 1 + 6  # one row per line: 3 entries of 2 lines
    assert any(r.endswith(",stripe_fees,1.00,,EUR") and ",payment:pi_" in r for r in rows)

    # (The daily job may have run for this organization already: it reconciles every one with books.)
    period = {"from": (utcnow() - timedelta(hours=1)).isoformat(), "to": (utcnow() + timedelta(hours=1)).isoformat()}
    ran = api.post(f"{base}/reconciliations", token=token, params=period)
    assert ran.status_code == 201 and (ran.json()["matched"], ran.json()["differences"]) == (2, [])
    assert api.get(f"{base}/reconciliations/latest", token=token).json()["id"] == ran.json()["id"]
    backwards = api.post(f"{base}/reconciliations", token=token, params={"from": period["to"], "to": period["from"]})
    assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid_period")
