"""A real localstripe process for the tests: on a free loopback port, stopped at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.services import port_open


class LocalStripe:
    """localstripe with Stripe's fees (ticketing/payments/localstripe_fees.py), `--port N
    --from-scratch`, in its own process group."""

    def __init__(self, port: int, log: Path):
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self._log = open(log, "ab")
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ticketing.payments.localstripe_fees", "--port", str(port), "--from-scratch"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, cwd=root)
        deadline = time.monotonic() + 20
        while not port_open("127.0.0.1", port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"localstripe did not start on port {port}; see {log}")
            time.sleep(0.1)

    def register_webhook(self, url: str, secret: str, name: str = "ticketing") -> None:
        """Have localstripe sign and deliver its events to `url`."""
        r = httpx.post(f"{self.url}/_config/webhooks/{name}", data={"url": url, "secret": secret})
        r.raise_for_status()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def tokenize_card(api_base: str, number: str, *, key: str = "pk_test_localstripe_dev") -> str:
    """What Stripe.js does in the browser: turn a card into a token with the publishable key."""
    r = httpx.post(f"{api_base}/v1/tokens", data={
        "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123", "key": key,
    })
    r.raise_for_status()
    return r.json()["id"]
