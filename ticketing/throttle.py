"""Throttling of sign-in and registration, with the `limits` library: counters in Redis when
REDIS_URL is set (shared by every worker), in memory otherwise (the embedded default runs one
worker). Each attempt costs about a second of argon2 CPU, so unthrottled sign-in is both a
password-guessing and a cheap CPU denial-of-service door.

Rules (each a list of windows, the longer ones acting as backoff):
* sign-in per account: failed attempts only, so the right password still works for its owner
  while a guesser is slowed down; a success does not reset the count (a guesser who found it
  is no reason to forgive the others);
* sign-in per address and registration per address: every attempt;
* forgotten-password links per account and per address: every request (each one mails the
  account's owner, so an unthrottled form is a mail bomb aimed at them, and an address probe).
A refusal is `rate_limited` (HTTP 429) with `retry_after` seconds; the API sends Retry-After.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

T = TypeVar("T")
# The API routes that answer 429 `rate_limited` (for the OpenAPI document).
THROTTLED_PATHS = frozenset({"/api/v1/auth/token", "/api/v1/auth/register", "/api/v1/auth/password-reset"})


@dataclass(frozen=True)
class Rules:
    sign_in_per_account: str = "5/minute;20/hour;60/day"
    sign_in_per_address: str = "30/minute;300/hour"
    register_per_address: str = "10/minute;50/hour"
    reset_per_account: str = "3/10 minutes;10/day"
    reset_per_address: str = "10/minute;50/hour"


def rate_limited(retry_after: int) -> ServiceError:
    return ServiceError("rate_limited", f"Too many attempts. Please wait {retry_after} seconds and try again.",
                        status=429, retry_after=retry_after)


class Throttle:
    """The limits of one process (or of all workers, through Redis)."""

    def __init__(self, rules: Rules, storage_uri: str = "memory://") -> None:
        self.rules = rules
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._account = parse_many(rules.sign_in_per_account)
        self._address = parse_many(rules.sign_in_per_address)
        self._register = parse_many(rules.register_per_address)
        self._reset_account = parse_many(rules.reset_per_account)
        self._reset_address = parse_many(rules.reset_per_address)

    def before_sign_in(self, *, email: str, address: str) -> None:
        """Count the attempt against the address; refuse it when the address or the account
        (by its failures) is over a limit."""
        self._refuse_if_spent("sign-in-account", _account_key(email), self._account)
        self._hit("sign-in-address", address or "unknown", self._address)

    def sign_in_failed(self, *, email: str) -> None:
        """A wrong password (or an unknown email: the same answer and the same count)."""
        for item in self._account:
            self._limiter.hit(item, "sign-in-account", _account_key(email))

    def before_register(self, *, address: str) -> None:
        self._hit("register-address", address or "unknown", self._register)

    def before_password_reset(self, *, email: str, address: str) -> None:
        """Count a request for a reset link against the address and the account (the same for
        an unknown email: the answer must not tell them apart)."""
        self._refuse_if_spent("reset-account", _account_key(email), self._reset_account)
        self._hit("reset-address", address or "unknown", self._reset_address)
        self._hit("reset-account", _account_key(email), self._reset_account)

    def _hit(self, scope: str, key: str, items: list[RateLimitItem]) -> None:
        self._refuse_if_spent(scope, key, items)
        for item in items:
            self._limiter.hit(item, scope, key)

    def _refuse_if_spent(self, scope: str, key: str, items: list[RateLimitItem]) -> None:
        waits = [self._wait(item, scope, key) for item in items if not self._limiter.test(item, scope, key)]
        if waits:
            raise rate_limited(max(waits))

    def _wait(self, item: RateLimitItem, scope: str, key: str) -> int:
        reset = self._limiter.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset - time.time()))


def _account_key(email: str) -> str:
    # Hashed: the counters (possibly in a shared Redis) hold no email addresses.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def guarded_sign_in(*, email: str, address: str, attempt: Callable[[], T]) -> T:
    """Run a sign-in `attempt` under the limits: refused before any password hashing when over
    them, and a wrong password counted against the account."""
    throttle = get_throttle()
    throttle.before_sign_in(email=email, address=address)
    try:
        return attempt()
    except ServiceError as exc:
        if exc.code == "invalid_credentials":
            throttle.sign_in_failed(email=email)
        raise


_throttle: Throttle | None = None


def get_throttle() -> Throttle:
    """The process-wide throttle, from the settings (Redis storage when REDIS_URL is set)."""
    global _throttle
    if _throttle is None:
        settings = get_settings()
        rules = Rules(settings.rate_sign_in_account, settings.rate_sign_in_address, settings.rate_register_address,
                      settings.rate_reset_account, settings.rate_reset_address)
        _throttle = Throttle(rules, settings.redis_url or "memory://")
    return _throttle


def set_throttle(throttle: Throttle | None) -> None:
    """Use another throttle (tests); None goes back to the one from the settings."""
    global _throttle
    _throttle = throttle
