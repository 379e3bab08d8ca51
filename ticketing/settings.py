"""One settings object read from the environment, with embedded defaults for local runs.

Fails closed: only an explicit TICKETING_ENV=development (set by scripts/run and the tests)
allows the embedded defaults (a SQLite file under ./data, the in-process event bus, localstripe
on loopback, public placeholder secrets), mounts /dev/* and loads demo data. Any other value,
unset included, is production: placeholder secrets and a non-https Stripe API are refused at
start, naming the variable to set.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse_many

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


DEVELOPMENT = "development"
LOCALSTRIPE_API_BASE = "http://127.0.0.1:8420"


class SettingsError(RuntimeError):
    """The environment describes a configuration we refuse to run with."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """"127.0.0.1, 10.0.0.0/8" -> networks; SettingsError names a bad entry."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise SettingsError(f"TRUSTED_PROXIES: {part!r} is not an IP address or network") from exc
    return tuple(out)


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
    env: str = "production"
    database_url: str = field(default_factory=_default_database_url)
    redis_url: str | None = None
    jwt_secret: str = DEV_JWT_SECRET
    # Renewed while the user is active (state/auth.py): a stolen token is good for hours, not days.
    jwt_ttl_minutes: int = 60 * 12
    stripe_secret_key: str = DEV_STRIPE_SECRET_KEY
    stripe_api_base: str | None = None  # real Stripe; development: localstripe
    stripe_webhook_secret: str = DEV_STRIPE_WEBHOOK_SECRET
    stripe_publishable_key: str = DEV_STRIPE_PUBLISHABLE_KEY
    ticket_signing_key: str = DEV_TICKET_SIGNING_KEY
    app_url: str = "http://localhost:3000"
    lock_timeout_ms: int = 3000
    # Throttling (limits' notation, windows separated by ";"): failed sign-ins per account,
    # sign-ins per address, registrations per address, reset links per account and per address.
    rate_sign_in_account: str = "5/minute;20/hour;60/day"
    rate_sign_in_address: str = "30/minute;300/hour"
    rate_register_address: str = "10/minute;50/hour"
    rate_reset_account: str = "3/10 minutes;10/day"
    rate_reset_address: str = "10/minute;50/hour"
    # The reverse proxies whose X-Real-IP / X-Forwarded-For name the client (client_address.py);
    # none by default: those headers are then ignored, since any client can write them.
    trusted_proxies: tuple[Network, ...] = ()
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
    def is_development(self) -> bool:
        """Only an explicit TICKETING_ENV=development: placeholders, /dev/*, demo data."""
        return self.env == DEVELOPMENT

    @property
    def is_production(self) -> bool:
        """Anything that is not explicitly development, TICKETING_ENV unset included."""
        return not self.is_development

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
        """Refuse a malformed ticket signing key anywhere; placeholder secrets and a non-https
        Stripe API outside development."""
        if not is_signing_key(self.ticket_signing_key):
            raise SettingsError("TICKET_SIGNING_KEY must be 32 random bytes in base64url (43 characters)")
        for name, rates in (("RATE_SIGN_IN_ACCOUNT", self.rate_sign_in_account),
                            ("RATE_SIGN_IN_ADDRESS", self.rate_sign_in_address),
                            ("RATE_REGISTER_ADDRESS", self.rate_register_address),
                            ("RATE_RESET_ACCOUNT", self.rate_reset_account),
                            ("RATE_RESET_ADDRESS", self.rate_reset_address)):
            try:
                parse_many(rates)
            except ValueError as exc:
                raise SettingsError(f"{name} must be like '5/minute;20/hour' ({exc})") from exc
        if self.is_development:
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
            raise SettingsError(
                (f"TICKETING_ENV={self.env}" if self.env else "TICKETING_ENV is unset")
                + ", so this runs as production and refuses placeholder "
                "secrets: set " + ", ".join(weak) + " (or TICKETING_ENV=development on a laptop)"
            )
        app_host = urlsplit(self.app_url).hostname or ""
        if not (self.app_url.startswith("https://") or (self.app_url.startswith("http://")
                                                         and app_host in ("localhost", "127.0.0.1"))):
            raise SettingsError("Production needs APP_URL, the https:// address people open (links in mails, and "
                                "the only origin allowed to call the backend)")
        if self.stripe_api_base and not self.stripe_api_base.startswith("https://"):
            raise SettingsError("Production talks to Stripe over https only: set STRIPE_API_BASE to an https:// "
                                "URL, or leave it empty for api.stripe.com")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (os.environ by default)."""
    env = os.environ if environ is None else environ
    mode = (env.get("TICKETING_ENV") or "").strip()
    defaults = Settings()
    # localstripe on loopback is the development default; production defaults to real Stripe.
    stripe_default = LOCALSTRIPE_API_BASE if mode == DEVELOPMENT else None
    settings = Settings(
        env=mode,
        database_url=env.get("DATABASE_URL") or defaults.database_url,
        redis_url=env.get("REDIS_URL") or None,
        jwt_secret=env.get("JWT_SECRET") or defaults.jwt_secret,
        jwt_ttl_minutes=int(env.get("JWT_TTL_MINUTES") or defaults.jwt_ttl_minutes),
        stripe_secret_key=env.get("STRIPE_SECRET_KEY") or defaults.stripe_secret_key,
        stripe_api_base=env.get("STRIPE_API_BASE", stripe_default) or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or defaults.stripe_webhook_secret,
        stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY") or defaults.stripe_publishable_key,
        ticket_signing_key=env.get("TICKET_SIGNING_KEY") or defaults.ticket_signing_key,
        app_url=env.get("APP_URL") or (defaults.app_url if mode == DEVELOPMENT else ""),
        lock_timeout_ms=int(env.get("LOCK_TIMEOUT_MS") or defaults.lock_timeout_ms),
        rate_sign_in_account=env.get("RATE_SIGN_IN_ACCOUNT") or defaults.rate_sign_in_account,
        rate_sign_in_address=env.get("RATE_SIGN_IN_ADDRESS") or defaults.rate_sign_in_address,
        rate_register_address=env.get("RATE_REGISTER_ADDRESS") or defaults.rate_register_address,
        rate_reset_account=env.get("RATE_RESET_ACCOUNT") or defaults.rate_reset_account,
        rate_reset_address=env.get("RATE_RESET_ADDRESS") or defaults.rate_reset_address,
        trusted_proxies=parse_networks(env.get("TRUSTED_PROXIES") or ""),
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


def allowed_origins(app_url: str, *, development: bool) -> list[str]:
    """The browser origins allowed to call the backend with credentials (CORS, and the
    websocket's Origin check): the app's own (APP_URL); in development also its
    localhost/127.0.0.1 twin, since people open either."""
    parts = urlsplit(app_url)
    if not (parts.scheme and parts.netloc):
        return []
    origins = [f"{parts.scheme}://{parts.netloc}"]
    if development:
        for host in ("localhost", "127.0.0.1"):
            twin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
            if twin not in origins:
                origins.append(twin)
    return origins


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
