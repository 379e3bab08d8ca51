"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106 low-memory profile).

Each hash costs most of a second of CPU and 64 MiB: at most `HASH_SLOTS` run at once per
process, so a burst of sign-ins queues for a slot (and gets `busy` after HASH_WAIT seconds)
instead of starving every other request of CPU and memory."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ticketing.services.errors import ServiceError

T = TypeVar("T")
_hasher = PasswordHasher()

HASH_SLOTS_DEFAULT = max(1, min(4, os.cpu_count() or 1))
HASH_SLOTS = HASH_SLOTS_DEFAULT
HASH_WAIT = 10.0  # seconds a sign-in waits for a slot before a retryable `busy`
_slots = threading.BoundedSemaphore(HASH_SLOTS)

# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def set_hash_slots(count: int) -> None:
    """How many hashes may run at once in this process (tests)."""
    global _slots, HASH_SLOTS
    HASH_SLOTS, _slots = count, threading.BoundedSemaphore(count)


def _in_slot(work: Callable[[], T]) -> T:
    slots = _slots
    if not slots.acquire(timeout=HASH_WAIT):
        raise ServiceError("busy", "Too many sign-ins at this moment; please try again in a few seconds.")
    try:
        return work()
    finally:
        slots.release()


def hash_password(password: str) -> str:
    return _in_slot(lambda: _hasher.hash(password))


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when `password` matches; constant-time work even for unknown users."""

    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return _in_slot(verify)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
