"""CPU per paid checkout + webhook confirmation, with and without the ledger's postings, side by
side in one run (issue 20: the ledger may add at most 10%). Run through `python bench/holds.py
--paid-checkout N` (or this file directly with the same options).

One operation: hold (service), checkout (service), the card payment as the payment page makes it
(`intents.pay_with_card`: a PaymentIntent created, the card attached and confirmed at localstripe,
Stripe's answer applied to the order), then the `payment_intent.succeeded` webhook delivered
signed to `webhooks.handle_webhook` (verified, the intent re-fetched, found already confirmed).
Card tokens are made before each round (that is the browser's work) and the confirmation mail is
left out (conservative: it would dilute the ledger's share). Counted: this process's CPU
and the bench database's backends' CPU (localstripe's is not: it stands in for Stripe).

Variants, alternating round by round:
  ledger     the code as it is: the payment and the Stripe fee (read from the charge's balance
             transaction, expanded in the same retrieve) posted in the confirming transaction
  no-ledger  the same with the posting switched off for the measurement (`_book_money_in` a
             no-op, no expand, no look at what is booked): the code before the ledger
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procstat import cpu_seconds

VARIANTS = ("no-ledger", "ledger")


def _tokens(api_base: str, n: int) -> list[str]:
    import httpx

    with httpx.Client() as http:
        return [http.post(f"{api_base}/v1/tokens", data={
            "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034",
            "card[cvc]": "123", "key": "pk_test_bench"}).json()["id"] for _ in range(n)]


def _one(event: dict, user_id: uuid.UUID, token: str) -> None:
    import json

    from bench_sign import signed

    from ticketing.db import session_scope
    from ticketing.models.base import utcnow
    from ticketing.payments import intents, webhooks
    from ticketing.services.sales import holds, orders

    with session_scope() as db:
        hold = holds.hold_tickets(db=db, event_id=uuid.UUID(event["event_id"]), user_id=user_id,
                                  items=[(uuid.UUID(event["hot"][0]), 1)], now=utcnow())
    with session_scope() as db:
        order = orders.checkout(db=db, hold_id=hold.id, user_id=user_id, attendees=None, now=utcnow())
    result = intents.pay_with_card(order_id=order.id, user_id=user_id, token_id=token)
    assert result.status == "succeeded", result
    with session_scope(readonly=True) as db:
        from ticketing.models import Order

        intent_id = db.get(Order, order.id).payment_intent_id
    event_body = {"id": f"evt_{uuid.uuid4().hex[:14]}", "object": "event", "type": "payment_intent.succeeded",
                  "created": int(time.time()), "data": {"object": {"id": intent_id, "object": "payment_intent"}}}
    payload, header = signed(json.dumps(event_body).encode())
    assert webhooks.handle_webhook(payload, header) == "already_confirmed"


def _switch(variant: str) -> None:
    from ticketing.payments import stripe_api
    from ticketing.services.ledger import journal
    from ticketing.services.sales import payments

    if not hasattr(payments, "_bench_book"):
        # The confirmation mail (QR codes, calendar file) is left out of both variants: it would
        # only dilute the ledger's share.
        from ticketing.notifications import order_mail

        order_mail.send_confirmation = lambda *a, **k: None
        payments._bench_book = payments._book_money_in  # type: ignore[attr-defined]
        stripe_api._bench_expand = list(stripe_api.INTENT_EXPAND)  # type: ignore[attr-defined]
        journal._bench_posted = journal.posted_kinds  # type: ignore[attr-defined]
    ledger = variant == "ledger"
    payments._book_money_in = payments._bench_book if ledger else (lambda *a, **k: None)  # type: ignore
    # The webhook's look at what is booked (to skip re-reading the fee) is the ledger's too.
    journal.posted_kinds = journal._bench_posted if ledger else (lambda *a, **k: set())  # type: ignore
    stripe_api.INTENT_EXPAND = stripe_api._bench_expand if ledger else []  # type: ignore[attr-defined]


def run(*, n: int, rounds: int, db_pids, buyers: list[str], event: dict, api_base: str) -> dict[str, list[float]]:
    """ms of CPU per operation, per variant and round (and the database's share, `<variant> db`)."""
    out: dict[str, list[float]] = {k: [] for v in VARIANTS for k in (v, f"{v} db")}
    users = [uuid.UUID(u) for u in buyers]
    k = 0
    for r in range(rounds + 1):  # round 0 warms up (imports, pools, caches) and is not counted
        for variant in (VARIANTS if r % 2 else tuple(reversed(VARIANTS))):
            _switch(variant)
            tokens = _tokens(api_base, n)
            pids = db_pids()
            py, db = time.process_time(), cpu_seconds(pids)
            for token in tokens:
                _one(event, users[k % len(users)], token)
                k += 1
            db = cpu_seconds(pids | db_pids()) - db
            spent = time.process_time() - py + db
            if r:
                out[variant].append(spent * 1000 / n)
                out[f"{variant} db"].append(db * 1000 / n)
    _switch("ledger")
    return out


def report(out: dict[str, list[float]], n: int) -> None:
    base = statistics.median(out["no-ledger"])
    with_ledger = statistics.median(out["ledger"])
    print(f"paid checkout + webhook, {n} per round, {len(out['ledger'])} rounds (CPU of the bench process "
          f"and the database's backends, ms per operation):")
    for v in VARIANTS:
        print(f"  {v:10s} median {statistics.median(out[v]):7.2f} (database {statistics.median(out[v + ' db']):6.2f})"
              "   rounds " + " ".join(f"{x:.2f}" for x in out[v]))
    print(f"  ledger / no-ledger: {with_ledger / base:.3f} ({(with_ledger / base - 1) * 100:+.1f}%)")
    # Each round runs both variants back to back: the ratio within a round cancels the machine's
    # drift between rounds (other work on the 2 shared cores).
    pairs = [a / b for a, b in zip(out["ledger"], out["no-ledger"], strict=True)]
    print(f"  per-round ratios: {' '.join(f'{r:.3f}' for r in pairs)}; median {statistics.median(pairs):.3f} "
          f"({(statistics.median(pairs) - 1) * 100:+.1f}%)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paid-checkout", type=int, default=40, help="operations per round and variant")
    ap.add_argument("--rounds", type=int, default=5)
    args, _rest = ap.parse_known_args(argv)
    from holds import ADMIN_URL, admin, free_port, insert_users, make_event, migrate, start_localstripe, stop_process

    db_name = f"tk_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = ADMIN_URL.rsplit("/", 1)[0]
    stripe_port = free_port()
    os.environ.update({
        "BENCH_PSYCOPG_URL": f"{server}/{db_name}",
        "DATABASE_URL": f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{db_name}",
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}", "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench_" + uuid.uuid4().hex,
        "TICKETING_ENV": "development",  # placeholder secrets are fine on a bench
        "MAIL_OUTBOX_DIR": f"/tmp/{db_name}-outbox"})
    os.environ.setdefault("JWT_SECRET", "bench-" + uuid.uuid4().hex)
    os.environ.pop("REDIS_URL", None)
    import logging

    logging.disable(logging.WARNING)  # the confirmation mail goes to a scratch outbox
    import psycopg

    admin(f'CREATE DATABASE "{db_name}"')
    stripe_proc = None
    try:
        migrate(os.environ["DATABASE_URL"])
        stripe_proc = start_localstripe(stripe_port)
        from ticketing.db import session_scope
        from ticketing.models.base import utcnow
        from ticketing.services.accounts.organizations import create_organization

        users = insert_users(20)
        owner = uuid.UUID(users.pop())
        with session_scope() as db:
            org_id = create_organization(db=db, user_id=owner, name="Bench", slug=f"b-{db_name[-6:]}", now=utcnow()).id
        event = make_event(owner, org_id, hot_capacity=10_000_000, spread=0)
        raw = psycopg.connect(os.environ["BENCH_PSYCOPG_URL"])

        def db_pids() -> set[int]:
            rows = raw.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                               (db_name,)).fetchall()
            raw.commit()
            return {r[0] for r in rows}

        out = run(n=args.paid_checkout, rounds=args.rounds, db_pids=db_pids, buyers=users, event=event,
                  api_base=os.environ["STRIPE_API_BASE"])
        report(out, args.paid_checkout)
        with session_scope(readonly=True) as db:
            from sqlalchemy import func
            from sqlmodel import select

            from ticketing.models import LedgerEntry

            posted = db.exec(select(func.count()).select_from(LedgerEntry)).one()
        print(f"  entries posted by the ledger rounds: {posted} (a payment and a fee per operation)")
        raw.close()
        return 0
    finally:
        if stripe_proc is not None:
            stop_process(stripe_proc)
        from ticketing.db import dispose_engines

        dispose_engines()
        admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
