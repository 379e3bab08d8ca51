"""Settings: embedded defaults for local runs; production refuses placeholder secrets."""

from __future__ import annotations

import pytest

from ticketing.settings import (
    DEV_JWT_SECRET,
    DEV_TICKET_SIGNING_KEY,
    SettingsError,
    load_settings,
)

STRONG = "x" * 48
REAL_SIGNING_KEY = "q1sVnq4Yl0Y1b8mR1nqFQm0bbE8V0Qb3G5o8s2b7dZw"  # 32 bytes, base64url


def test_embedded_defaults_need_no_environment():
    s = load_settings({})
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("data/ticketing.db")
    assert s.redis_url is None
    assert s.stripe_api_base == "http://127.0.0.1:8420"
    assert s.jwt_secret == DEV_JWT_SECRET and not s.is_production


def test_environment_overrides_defaults():
    s = load_settings({"DATABASE_URL": "postgresql+psycopg://u@h/db", "REDIS_URL": "redis://h:1/0",
                       "STRIPE_API_BASE": "", "LOCK_TIMEOUT_MS": "1500"})
    assert s.database_url == "postgresql+psycopg://u@h/db" and s.redis_url == "redis://h:1/0"
    assert s.stripe_api_base is None and s.lock_timeout_ms == 1500


@pytest.mark.parametrize(
    "env",
    [
        {},  # every secret a placeholder
        {"JWT_SECRET": STRONG, "STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": "secret"},
        {"JWT_SECRET": "short", "STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": "whsec_real"},
        {"JWT_SECRET": DEV_JWT_SECRET, "STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": "whsec_real"},
    ],
)
def test_production_refuses_placeholder_secrets(env):
    with pytest.raises(SettingsError):
        load_settings({"TICKETING_ENV": "production", **env})


def test_production_starts_with_real_secrets():
    s = load_settings({"TICKETING_ENV": "production", "JWT_SECRET": STRONG,
                       "STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": "whsec_real",
                       "STRIPE_PUBLISHABLE_KEY": "pk_live_real", "TICKET_SIGNING_KEY": REAL_SIGNING_KEY})
    assert s.is_production


def test_mail_goes_to_the_outbox_unless_an_smtp_host_is_set():
    assert load_settings({}).smtp_host is None
    s = load_settings({"SMTP_HOST": "mail.example", "SMTP_PORT": "2525", "SMTP_STARTTLS": "false"})
    assert (s.smtp_host, s.smtp_port, s.smtp_starttls) == ("mail.example", 2525, False)


def test_stripe_js_comes_from_localstripe_when_the_api_is_local():
    assert load_settings({}).stripe_js_url == "http://127.0.0.1:8420/js.stripe.com/v3/"
    assert load_settings({"STRIPE_API_BASE": ""}).stripe_js_url == "https://js.stripe.com/v3/"


def test_production_refuses_the_development_ticket_signing_key():
    with pytest.raises(SettingsError, match="TICKET_SIGNING_KEY"):
        load_settings({"TICKETING_ENV": "production", "JWT_SECRET": STRONG, "STRIPE_SECRET_KEY": "sk_live_real",
                       "STRIPE_WEBHOOK_SECRET": "whsec_real", "STRIPE_PUBLISHABLE_KEY": "pk_live_real",
                       "TICKET_SIGNING_KEY": DEV_TICKET_SIGNING_KEY})


@pytest.mark.parametrize("key", ["too-short", "x" * 43 + "!", "A" * 60])
def test_a_malformed_ticket_signing_key_is_refused_in_every_mode(key):
    with pytest.raises(SettingsError, match="TICKET_SIGNING_KEY"):
        load_settings({"TICKET_SIGNING_KEY": key})
