"""Issue 16, finding 3: sign-in and registration are throttled per account and per address
(429 problem+json `rate_limited` with Retry-After, checked before any password hashing), the
counters are shared through Redis when REDIS_URL is set, and password hashing runs at most
HASH_SLOTS at a time."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from tests.services import ensure_redis
from ticketing.db import session_scope
from ticketing.models import User
from ticketing.services.accounts import passwords
from ticketing.throttle import Rules, Throttle, set_throttle

LOOSE = "1000/minute"


@pytest.fixture
def strict():
    """Install a throttle with the given rules (memory storage) for the test."""

    def install(**rules: str) -> Throttle:
        throttle = Throttle(Rules(**{"sign_in_per_account": LOOSE, "sign_in_per_address": LOOSE,
                                     "register_per_address": LOOSE, "reset_per_account": LOOSE,
                                     "reset_per_address": LOOSE, **rules}))
        set_throttle(throttle)
        return throttle

    yield install
    set_throttle(None)


def sign_in(api, email: str, password: str):
    return api.post("/auth/token", json={"email": email, "password": password})


def rate_limited(r) -> int:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "rate_limited" and body["status"] == 429 and body["retry_after"] >= 1
    assert int(r.headers["Retry-After"]) == body["retry_after"]
    return body["retry_after"]


def test_wrong_passwords_lock_the_account_for_a_while_even_for_the_right_one(api, strict):
    user = api.register()
    strict(sign_in_per_account="3/minute")
    for _ in range(3):
        assert sign_in(api, user["email"], "wrong password").status_code == 401
    assert 1 <= rate_limited(sign_in(api, user["email"], user["password"])) <= 60
    # Counted per account: another account from the same address signs in.
    other = api.register()
    assert sign_in(api, other["email"], other["password"]).status_code == 200


def test_successful_sign_ins_do_not_count_against_the_account(api, strict):
    user = api.register()
    strict(sign_in_per_account="2/minute")
    for _ in range(4):
        assert sign_in(api, user["email"], user["password"]).status_code == 200


def test_unknown_emails_are_throttled_like_accounts(api, strict):
    strict(sign_in_per_account="2/minute")
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    assert [sign_in(api, email, "guess").status_code for _ in range(2)] == [401, 401]
    rate_limited(sign_in(api, email, "guess"))


def test_sign_ins_from_one_address_are_throttled_whatever_the_account(api, strict):
    users = [api.register() for _ in range(3)]
    strict(sign_in_per_address="2/minute")
    assert sign_in(api, users[0]["email"], users[0]["password"]).status_code == 200
    assert sign_in(api, users[1]["email"], "wrong").status_code == 401
    rate_limited(sign_in(api, users[2]["email"], users[2]["password"]))


def test_registrations_from_one_address_are_throttled_and_the_refused_one_creates_nothing(api, strict):
    strict(register_per_address="2/minute")
    emails = [f"reg-{uuid.uuid4().hex[:8]}@example.com" for _ in range(3)]
    for email in emails[:2]:
        assert api.post("/auth/register", json={"email": email, "password": "a long passphrase", "name": "R"}
                        ).status_code == 201
    rate_limited(api.post("/auth/register", json={"email": emails[2], "password": "a long passphrase", "name": "R"}))
    with session_scope(readonly=True) as db:
        assert db.exec(select(User).where(User.email == emails[2])).first() is None


def ask_reset(api, email: str, headers: dict[str, str] | None = None):
    return api.post("/auth/password-reset", json={"email": email}, headers=headers or {})


def outbox_mails_to(email: str) -> int:
    from ticketing.settings import get_settings

    outbox = Path(get_settings().outbox_dir)
    return sum(email in p.read_text(errors="replace") for p in outbox.glob("*.eml")) if outbox.exists() else 0


def test_reset_links_are_throttled_per_account_and_the_refused_one_mails_nothing(api, strict):
    user = api.register()
    strict(reset_per_account="2/minute")
    assert [ask_reset(api, user["email"]).status_code for _ in range(2)] == [202, 202]
    sent = outbox_mails_to(user["email"])
    assert sent >= 2
    rate_limited(ask_reset(api, user["email"]))
    assert outbox_mails_to(user["email"]) == sent
    # An unknown address is counted the same way (the answers must not tell them apart).
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    assert [ask_reset(api, nobody).status_code for _ in range(2)] == [202, 202]
    rate_limited(ask_reset(api, nobody))
    # Per account: another account from the same address still gets its link.
    assert ask_reset(api, api.register()["email"]).status_code == 202


def test_reset_links_are_throttled_per_address(api, strict):
    strict(reset_per_address="2/minute")
    emails = [f"reset-{uuid.uuid4().hex[:8]}@example.com" for _ in range(3)]
    assert [ask_reset(api, e).status_code for e in emails[:2]] == [202, 202]
    rate_limited(ask_reset(api, emails[2]))


def test_forwarded_addresses_count_only_from_a_trusted_proxy(strict, monkeypatch):
    """Without TRUSTED_PROXIES a client cannot dodge the per-address limit by writing another
    X-Real-IP / X-Forwarded-For each time; behind a trusted proxy each client has its own count."""
    from fastapi.testclient import TestClient

    from ticketing import client_address
    from ticketing.api import app
    from ticketing.settings import get_settings, parse_networks

    def ask(client: TestClient, headers: dict[str, str]):
        return client.post("/api/v1/auth/password-reset", headers=headers,
                           json={"email": f"fwd-{uuid.uuid4().hex[:8]}@example.com"})

    strict(reset_per_address="1/minute")
    proxy = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000))
    assert ask(proxy, {"X-Real-IP": "203.0.113.1"}).status_code == 202
    rate_limited(ask(proxy, {"X-Real-IP": "203.0.113.2", "X-Forwarded-For": "203.0.113.3"}))  # not trusted

    trusting = replace(get_settings(), trusted_proxies=parse_networks("127.0.0.1, 10.0.0.0/8"))
    monkeypatch.setattr(client_address, "get_settings", lambda: trusting)
    assert ask(proxy, {"X-Real-IP": "203.0.113.4"}).status_code == 202
    # The last X-Forwarded-For entry is the one the proxy appended; those before it are the client's.
    assert ask(proxy, {"X-Forwarded-For": "198.51.100.9, 203.0.113.5"}).status_code == 202
    rate_limited(ask(proxy, {"X-Forwarded-For": "203.0.113.5"}))
    rate_limited(ask(proxy, {"X-Real-IP": "not an address", "X-Forwarded-For": "203.0.113.5"}))
    # A peer outside TRUSTED_PROXIES is its own address whatever it writes.
    stranger = TestClient(app, raise_server_exceptions=False, client=("192.0.2.50", 50000))
    assert ask(stranger, {"X-Real-IP": "203.0.113.4"}).status_code == 202
    rate_limited(ask(stranger, {"X-Real-IP": "203.0.113.99"}))


def test_with_redis_every_worker_shares_the_counts():
    """Two throttles on one Redis (two workers): failures seen by one count for the other."""
    ensure_redis()
    url = "redis://127.0.0.1:6379/6"
    rules = Rules(sign_in_per_account="2/minute", sign_in_per_address=LOOSE, register_per_address=LOOSE)
    first, second = Throttle(rules, url), Throttle(rules, url)
    email = f"shared-{uuid.uuid4().hex}@example.com"
    first.sign_in_failed(email=email)
    second.sign_in_failed(email=email)
    with pytest.raises(Exception) as refused:
        first.before_sign_in(email=email, address="198.51.100.7")
    assert getattr(refused.value, "code", "") == "rate_limited"
    # The in-memory storage of a single worker does not see the other's counts (the control).
    alone = Throttle(rules)
    alone.before_sign_in(email=email, address="198.51.100.7")


def test_password_hashing_runs_at_most_hash_slots_at_once(monkeypatch):
    inside, peak, lock = 0, 0, threading.Lock()
    real = passwords._hasher

    class CountingHasher:
        """The real argon2 hasher, counting how many verifications run at once."""

        def hash(self, password):
            return real.hash(password)

        def verify(self, hash_, password):
            nonlocal inside, peak
            with lock:
                inside += 1
                peak = max(peak, inside)
            try:
                return real.verify(hash_, password)
            finally:
                with lock:
                    inside -= 1

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    stored = passwords.hash_password("a long passphrase")
    passwords.set_hash_slots(1)
    try:
        threads = [threading.Thread(target=passwords.verify_password, args=("a long passphrase", stored))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        passwords.set_hash_slots(passwords.HASH_SLOTS_DEFAULT)
    assert peak == 1
