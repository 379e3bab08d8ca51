"""One settings object read from the environment, with embedded defaults for local runs.

The embedded default (no environment at all) is: a SQLite file under ./data, the in-process
event bus, and localstripe on loopback. Production mode (TICKETING_ENV=production) refuses to
start with any placeholder secret.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Development placeholders: good enough on a laptop, refused in production.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789abcdef"
DEV_STRIPE_SECRET_KEY = "sk_test_localstripe_dev"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_localstripe_dev"
DEV_STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe_dev"
# The Ed25519 seed (32 bytes, base64url) that signs ticket codes on a laptop. Anyone can read it
# here, so anyone could forge tickets with it: production refuses it.
DEV_TICKET_SIGNING_KEY = "ZGV2LW9ubHktdGlja2V0LXNpZ25pbmcta2V5LTAwMDA"
PLACEHOLDERS = {
    DEV_JWT_SECRET, DEV_STRIPE_SECRET_KEY, DEV_STRIPE_WEBHOOK_SECRET, DEV_STRIPE_PUBLISHABLE_KEY,
    DEV_TICKET_SIGNING_KEY, "", "changeme", "secret",
}


class SettingsError(RuntimeError):
    """The environment describes a configuration we refuse to run with."""


def is_signing_key(value: str) -> bool:
    """Whether `value` is a base64url Ed25519 seed (32 bytes)."""
    try:
        raw = base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 32


def _default_database_url() -> str:
    data_dir = PROJECT_ROOT / "data"
    return f"sqlite:///{data_dir / 'ticketing.db'}"


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = field(default_factory=_default_database_url)
    redis_url: str | None = None
    jwt_secret: str = DEV_JWT_SECRET
    jwt_ttl_minutes: int = 60 * 24 * 7
    stripe_secret_key: str = DEV_STRIPE_SECRET_KEY
    stripe_api_base: str | None = "http://127.0.0.1:8420"
    stripe_webhook_secret: str = DEV_STRIPE_WEBHOOK_SECRET
    stripe_publishable_key: str = DEV_STRIPE_PUBLISHABLE_KEY
    ticket_signing_key: str = DEV_TICKET_SIGNING_KEY
    app_url: str = "http://localhost:3000"
    lock_timeout_ms: int = 3000
    # Mail: with no SMTP host, messages are written to `outbox_dir` as .eml files (development).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "Ticketing <tickets@localhost>"
    outbox_dir: str = str(PROJECT_ROOT / "data" / "outbox")
    # Job workers beat this often; a job whose worker missed 3 beats (it died) is run again.
    job_heartbeat_seconds: float = 10.0
    # Each app process works the job queue; false: only `python -m ticketing.jobs.worker` does
    # (a small database server, or workers on machines of their own). PostgreSQL only.
    jobs_in_app: bool = True

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def stripe_js_url(self) -> str:
        """Stripe.js: the real one, or localstripe's mock served by the local fake API."""
        if self.stripe_api_base:
            return self.stripe_api_base.rstrip("/") + "/js.stripe.com/v3/"
        return "https://js.stripe.com/v3/"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check(self) -> None:
        """Refuse a malformed ticket signing key anywhere, placeholder secrets in production."""
        if not is_signing_key(self.ticket_signing_key):
            raise SettingsError("TICKET_SIGNING_KEY must be 32 random bytes in base64url (43 characters)")
        if not self.is_production:
            return
        weak = [
            name
            for name, value in (
                ("JWT_SECRET", self.jwt_secret),
                ("STRIPE_SECRET_KEY", self.stripe_secret_key),
                ("STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret),
                # Not a secret, but the card form cannot work with the development one.
                ("STRIPE_PUBLISHABLE_KEY", self.stripe_publishable_key),
                ("TICKET_SIGNING_KEY", self.ticket_signing_key),
            )
            if value in PLACEHOLDERS
        ]
        if len(self.jwt_secret) < 32 and "JWT_SECRET" not in weak:
            weak.append("JWT_SECRET (shorter than 32 characters)")
        if weak:
            raise SettingsError("Production refuses placeholder secrets: set " + ", ".join(weak))


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (os.environ by default)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    settings = Settings(
        env=env.get("TICKETING_ENV", defaults.env),
        database_url=env.get("DATABASE_URL") or defaults.database_url,
        redis_url=env.get("REDIS_URL") or None,
        jwt_secret=env.get("JWT_SECRET") or defaults.jwt_secret,
        jwt_ttl_minutes=int(env.get("JWT_TTL_MINUTES") or defaults.jwt_ttl_minutes),
        stripe_secret_key=env.get("STRIPE_SECRET_KEY") or defaults.stripe_secret_key,
        stripe_api_base=env.get("STRIPE_API_BASE", defaults.stripe_api_base) or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or defaults.stripe_webhook_secret,
        stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY") or defaults.stripe_publishable_key,
        ticket_signing_key=env.get("TICKET_SIGNING_KEY") or defaults.ticket_signing_key,
        app_url=env.get("APP_URL") or defaults.app_url,
        lock_timeout_ms=int(env.get("LOCK_TIMEOUT_MS") or defaults.lock_timeout_ms),
        smtp_host=env.get("SMTP_HOST") or None,
        smtp_port=int(env.get("SMTP_PORT") or defaults.smtp_port),
        smtp_user=env.get("SMTP_USER") or None,
        smtp_password=env.get("SMTP_PASSWORD") or None,
        smtp_starttls=(env.get("SMTP_STARTTLS") or "true").lower() not in {"0", "false", "no"},
        mail_from=env.get("MAIL_FROM") or defaults.mail_from,
        outbox_dir=env.get("MAIL_OUTBOX_DIR") or defaults.outbox_dir,
        job_heartbeat_seconds=float(env.get("JOB_HEARTBEAT_SECONDS") or defaults.job_heartbeat_seconds),
        jobs_in_app=(env.get("JOBS_IN_APP") or "true").lower() not in {"0", "false", "no"},
    )
    settings.check()
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
