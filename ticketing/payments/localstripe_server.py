"""Start localstripe (a local fake of the Stripe API) when settings point Stripe at loopback.
It runs with ticketing/payments/localstripe_fees.py's patch, so its balance transactions carry
Stripe's fee (1.5% + 0.25 by default) as Stripe's do.

Used by `scripts/run` for the embedded default and by the tests. Real deployments set
STRIPE_API_BASE empty and talk to Stripe itself.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse
from urllib.request import Request, urlopen

from ticketing.settings import PROJECT_ROOT, get_settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def ensure_localstripe(api_base: str | None = None, *, log_path: Path | None = None, wait: float = 15.0) -> bool:
    """Start localstripe on the loopback port of `api_base` unless something listens there.

    Returns True when a local server is (now) listening, False when api_base is not local.
    """
    api_base = api_base if api_base is not None else get_settings().stripe_api_base
    if not api_base:
        return False
    url = urlparse(api_base)
    host, port = url.hostname or "", url.port or 80
    if host not in LOOPBACK:
        return False
    if _open("127.0.0.1", port):
        return True
    log_path = log_path or PROJECT_ROOT / "data" / "localstripe.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # localstripe patched to report Stripe's fees on balance transactions (localstripe_fees.py).
        subprocess.Popen([sys.executable, "-m", "ticketing.payments.localstripe_fees", "--port", str(port)],
                         stdout=log, stderr=log, start_new_session=True, cwd=PROJECT_ROOT)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if _open("127.0.0.1", port):
            return True
        time.sleep(0.2)
    raise RuntimeError(f"localstripe did not start on port {port}; see {log_path}")


def register_webhook(url: str, api_base: str | None = None, secret: str | None = None) -> None:
    """Have localstripe sign its events with our webhook secret and POST them to `url` (it keeps
    this in memory only: register again after each start)."""
    settings = get_settings()
    api_base = (api_base or settings.stripe_api_base or "").rstrip("/")
    data = urlencode({"url": url, "secret": secret or settings.stripe_webhook_secret}).encode()
    with urlopen(Request(f"{api_base}/_config/webhooks/ticketing", data=data, method="POST"), timeout=5):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ensure", action="store_true", help="start localstripe if it is not running")
    parser.add_argument("--webhook-url", help="where localstripe should deliver its signed events")
    args = parser.parse_args()
    if args.ensure:
        running = ensure_localstripe()
        print("localstripe: running" if running else "Stripe: using the configured API (not local)")
        if running and args.webhook_url:
            register_webhook(args.webhook_url)
            print(f"localstripe: webhooks go to {args.webhook_url}")


if __name__ == "__main__":
    main()
