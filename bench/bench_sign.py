"""Sign a webhook payload as Stripe does (the bench delivers its own events)."""

from __future__ import annotations

import hashlib
import hmac
import os
import time


def signed(payload: bytes) -> tuple[bytes, str]:
    at = int(time.time())
    secret = os.environ["STRIPE_WEBHOOK_SECRET"].encode()
    digest = hmac.new(secret, f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={at},v1={digest}"
