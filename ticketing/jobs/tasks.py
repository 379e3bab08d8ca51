"""The jobs: confirmation and ticket mails, refund mails, refunds and other Stripe follow-ups,
the sweeper, the daily reconciliation with Stripe. Each is safe to run twice: mails go out once per purpose (sent_mail.py), refunds
carry their row id as Stripe's idempotency key, the sweeper only tidies what is expired.

Importing this module registers the functions for the in-process runner (SQLite); `register`
puts them on a procrastinate app (PostgreSQL), with retries and backoff.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from procrastinate import App, JobContext, RetryStrategy

from ticketing.db import session_scope
from ticketing.jobs.failures import record_failure
from ticketing.jobs.queue import LOCAL_TASKS
from ticketing.jobs.sent_mail import send_once
from ticketing.models import Order, OrderStatus, RefundStatus, Ticket
from ticketing.models.base import utcnow
from ticketing.jobs.waitlist_offers import offer_freed_places
from ticketing.notifications import order_mail, waitlist_mail
from ticketing.payments import reconcile, refunds, stripe_api
from ticketing.services.errors import ServiceError
from ticketing.services.sales.sweeper import sweep as sweep_expired

log = logging.getLogger(__name__)

# Tries after the first run, and the wait before each (seconds): 2, 4, ... about 2 minutes in all,
# then the job has failed for good and the organizer sees it.
RETRY_DELAYS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
# procrastinate's max_attempts counts the retries (runs after the first): waits of 2**1 .. 2**6 s.
RETRY = RetryStrategy(max_attempts=len(RETRY_DELAYS), exponential_wait=2)
SWEEP_CRON = "* * * * * */5"  # every 5 s (6th field: seconds): pages see freed places soon
REFUNDS_CRON = "* * * * *"  # every minute: refunds recorded but never sent (a lost job)
RECONCILE_CRON = "30 3 * * *"  # every day at 03:30 UTC: yesterday's books against Stripe's


class NotDoneYet(Exception):
    """The job could not finish now (Stripe unreachable): run it again later."""


def order_confirmation(*, order_id: str) -> str:
    """The buyer's confirmation with the tickets' QR codes, once per order."""
    oid = uuid.UUID(order_id)
    with session_scope(readonly=True) as db:
        order = db.get(Order, oid)
        if order is None or order.status != OrderStatus.confirmed.value:
            return "nothing"  # gone or cancelled before the mail went out
    return send_once(f"confirmation:{order_id}", lambda: order_mail.confirmation_message(oid))


def payment_refunded_notice(*, order_id: str, outcome: str) -> str:
    """Tell the buyer a payment we could not keep was refunded, once per order and reason."""
    oid = uuid.UUID(order_id)
    with session_scope(readonly=True) as db:
        if db.get(Order, oid) is None:
            return "nothing"
    return send_once(f"refunded:{order_id}:{outcome}", lambda: order_mail.payment_refunded_message(oid, outcome))


def transferred_ticket(*, ticket_id: str, code_version: int) -> str:
    """The new holder's ticket, once per transfer (each transfer issues a new code version)."""
    tid = uuid.UUID(ticket_id)
    with session_scope(readonly=True) as db:
        ticket = db.get(Ticket, tid)
        if ticket is None or ticket.code_version != code_version:
            return "nothing"  # transferred again meanwhile: that transfer's job mails the new holder
    return send_once(f"transfer:{ticket_id}:{code_version}", lambda: order_mail.transferred_ticket_message(tid))


def refund(*, refund_id: str) -> str:
    """Send one recorded refund to Stripe (same idempotency key every time); retried while
    Stripe cannot be reached."""
    status = refunds.send_refund(uuid.UUID(refund_id))
    if status == RefundStatus.pending.value:
        raise NotDoneYet(f"refund {refund_id} not accepted by Stripe yet")
    return status


def cancel_intent(*, intent_id: str) -> str:
    """Make a cancelled order's PaymentIntent unpayable."""
    stripe_api.cancel_intent(intent_id)
    return "cancelled"


def sweep(**_: Any) -> int:
    """Tidy expired holds and orders (their events' deltas are published after commit), then
    offer freed places to waiting lists."""
    try:
        with session_scope() as db:
            changed = len(sweep_expired(db=db, now=utcnow()).event_versions)
    except ServiceError:  # busy: the next sweep does it
        return 0
    offer_freed_places()
    return changed


def waitlist_offer_mail(*, entry_id: str, offers: int) -> str:
    """Tell a customer on a waiting list that places are held for them, once per offer."""
    return send_once(f"waitlist-offer:{entry_id}:{offers}",
                     lambda: waitlist_mail.offer_message(uuid.UUID(entry_id)))


def retry_pending_refunds(**_: Any) -> int:
    """Refunds still pending a while after they were recorded (their job was lost): send them."""
    return refunds.send_pending_refunds()


def reconcile_books(**_: Any) -> int:
    """Yesterday's books of every organization against Stripe's balance transactions; each
    result is kept (the organizer's Finance page shows the last and when it ran). Returns how
    many organizations were checked."""
    return len(reconcile.reconcile_past_days(1))


# name -> function: what `enqueue(db, name, ...)` may name.
JOBS: dict[str, Callable[..., Any]] = {
    "order_confirmation": order_confirmation,
    "payment_refunded_notice": payment_refunded_notice,
    "transferred_ticket": transferred_ticket,
    "refund": refund,
    "cancel_intent": cancel_intent,
    "waitlist_offer_mail": waitlist_offer_mail,
}
PERIODIC: dict[str, tuple[str, Callable[..., Any]]] = {
    "sweep": (SWEEP_CRON, sweep),
    "retry_pending_refunds": (REFUNDS_CRON, retry_pending_refunds),
    "reconcile_books": (RECONCILE_CRON, reconcile_books),
}
LOCAL_TASKS.update({name: (func, RETRY_DELAYS) for name, func in JOBS.items()})


def _with_failure_record(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def run(context: JobContext, **kwargs: Any) -> Any:
        try:
            return func(**kwargs)
        except Exception as exc:
            if RETRY.get_retry_decision(exception=exc, job=context.job) is None:
                record_failure(task=name, kwargs=kwargs, attempts=context.job.attempts + 1, error=exc)
            raise

    run.__name__ = run.__qualname__ = name
    return run


def register(app: App) -> App:
    """Put every job on the procrastinate `app` (once)."""
    if "order_confirmation" in app.tasks:
        return app
    for name, func in JOBS.items():
        app.task(name=name, retry=RETRY, pass_context=True)(_with_failure_record(name, func))
    for name, (cron, func) in PERIODIC.items():
        app.periodic(cron=cron)(app.task(name=name)(func))
    return app
