"""Settings: embedded defaults only with an explicit TICKETING_ENV=development; anything else is
production and refuses placeholder secrets."""

from __future__ import annotations

import pytest

from ticketing.settings import DEV_JWT_SECRET, DEV_TICKET_SIGNING_KEY, SettingsError, load_settings

STRONG = "x" * 48
DEV = {"TICKETING_ENV": "development"}
REAL_SIGNING_KEY = "q1sVnq4Yl0Y1b8mR1nqFQm0bbE8V0Qb3G5o8s2b7dZw"  # 32 bytes, base64url


def test_embedded_defaults_need_only_the_development_setting():
    s = load_settings(DEV)
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("data/ticketing.db")
    assert s.redis_url is None
    assert s.stripe_api_base == "http://127.0.0.1:8420"
    assert s.jwt_secret == DEV_JWT_SECRET and not s.is_production


def test_environment_overrides_defaults():
    s = load_settings({**DEV, "DATABASE_URL": "postgresql+psycopg://u@h/db", "REDIS_URL": "redis://h:1/0",
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
                       "STRIPE_PUBLISHABLE_KEY": "pk_live_real", "TICKET_SIGNING_KEY": REAL_SIGNING_KEY,
                       "APP_URL": "https://tickets.example"})
    assert s.is_production


def test_mail_goes_to_the_outbox_unless_an_smtp_host_is_set():
    assert load_settings(DEV).smtp_host is None
    s = load_settings({**DEV, "SMTP_HOST": "mail.example", "SMTP_PORT": "2525", "SMTP_STARTTLS": "false"})
    assert (s.smtp_host, s.smtp_port, s.smtp_starttls) == ("mail.example", 2525, False)


def test_stripe_js_comes_from_localstripe_when_the_api_is_local():
    assert load_settings(DEV).stripe_js_url == "http://127.0.0.1:8420/js.stripe.com/v3/"
    assert load_settings({**DEV, "STRIPE_API_BASE": ""}).stripe_js_url == "https://js.stripe.com/v3/"


def test_production_refuses_the_development_ticket_signing_key():
    with pytest.raises(SettingsError, match="TICKET_SIGNING_KEY"):
        load_settings({"TICKETING_ENV": "production", "JWT_SECRET": STRONG, "STRIPE_SECRET_KEY": "sk_live_real",
                       "STRIPE_WEBHOOK_SECRET": "whsec_real", "STRIPE_PUBLISHABLE_KEY": "pk_live_real",
                       "TICKET_SIGNING_KEY": DEV_TICKET_SIGNING_KEY})


@pytest.mark.parametrize("key", ["too-short", "x" * 43 + "!", "A" * 60])
def test_a_malformed_ticket_signing_key_is_refused_in_every_mode(key):
    with pytest.raises(SettingsError, match="TICKET_SIGNING_KEY"):
        load_settings({**DEV, "TICKET_SIGNING_KEY": key})


REAL = {"APP_URL": "https://tickets.example", "JWT_SECRET": STRONG, "STRIPE_SECRET_KEY": "sk_live_real", "STRIPE_WEBHOOK_SECRET": "whsec_real",
        "STRIPE_PUBLISHABLE_KEY": "pk_live_real", "TICKET_SIGNING_KEY": REAL_SIGNING_KEY}


@pytest.mark.parametrize("mode", [None, "", "prod", "test", "Development"])
def test_without_an_explicit_development_setting_placeholders_are_refused_naming_the_variables(mode):
    """Fails closed (issue 16, finding 1): unset or any other value runs as production."""
    env = {} if mode is None else {"TICKETING_ENV": mode}
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    message = str(refused.value)
    assert "TICKETING_ENV" in message and "JWT_SECRET" in message and "TICKET_SIGNING_KEY" in message


def test_unset_mode_with_real_secrets_runs_as_production_on_real_stripe():
    s = load_settings(REAL)
    assert s.is_production and not s.is_development and s.stripe_api_base is None


@pytest.mark.parametrize("base", ["http://127.0.0.1:8420", "http://stripe.example"])
def test_production_refuses_a_stripe_api_that_is_not_https(base):
    with pytest.raises(SettingsError, match="STRIPE_API_BASE"):
        load_settings({**REAL, "STRIPE_API_BASE": base})
    assert load_settings({**REAL, "STRIPE_API_BASE": "https://stripe-proxy.example"}).stripe_api_base


def test_the_app_refuses_to_start_without_the_development_setting(tmp_path):
    """The real entry point: importing the API (what `reflex run` and uvicorn do) with an
    environment that names no mode exits with the variable to set, whatever secret is forged."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in {"TICKETING_ENV", "JWT_SECRET", "TICKET_SIGNING_KEY", "STRIPE_SECRET_KEY",
                        "STRIPE_WEBHOOK_SECRET", "STRIPE_PUBLISHABLE_KEY", "STRIPE_API_BASE"}}
    done = subprocess.run([sys.executable, "-c", "import ticketing.api"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "SettingsError" in done.stderr and "TICKETING_ENV" in done.stderr and "JWT_SECRET" in done.stderr


def test_dev_routes_are_mounted_only_in_development(monkeypatch):
    """/dev/outbox lists every customer's mail: only an explicit development run serves it."""
    import importlib

    api_module = importlib.import_module("ticketing.api.app")  # the package's `app` shadows the name

    from fastapi.testclient import TestClient

    def outbox_status(env):
        monkeypatch.setattr(api_module, "get_settings", lambda: load_settings(env))
        return TestClient(api_module.create_api()).get("/dev/outbox").status_code

    assert outbox_status(DEV) == 200
    assert outbox_status(REAL) == 404


def test_demo_data_is_refused_outside_development(monkeypatch):
    from ticketing import demo

    monkeypatch.setattr(demo, "get_settings", lambda: load_settings(REAL))
    with pytest.raises(SettingsError, match="TICKETING_ENV=development"):
        demo.load_demo_data()


@pytest.mark.parametrize("url", [None, "http://tickets.example", "tickets.example"])
def test_production_needs_the_https_address_people_open(url):
    env = {k: v for k, v in REAL.items() if k != "APP_URL"}
    if url is not None:
        env["APP_URL"] = url
    with pytest.raises(SettingsError, match="APP_URL"):
        load_settings(env)


def test_only_the_apps_own_origin_may_call_the_backend():
    from ticketing.settings import allowed_origins

    assert allowed_origins("https://tickets.example/", development=False) == ["https://tickets.example"]
    assert set(allowed_origins("http://localhost:3000", development=True)) == {
        "http://localhost:3000", "http://127.0.0.1:3000"}


def test_trusted_proxies_default_to_none_and_bad_entries_are_refused():
    import ipaddress

    assert load_settings({"TICKETING_ENV": "development"}).trusted_proxies == ()
    got = load_settings({"TICKETING_ENV": "development", "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}).trusted_proxies
    assert got == (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({"TICKETING_ENV": "development", "TRUSTED_PROXIES": "nginx.local"})


def test_reset_link_rates_are_checked_like_the_others():
    with pytest.raises(SettingsError, match="RATE_RESET_ACCOUNT"):
        load_settings({"TICKETING_ENV": "development", "RATE_RESET_ACCOUNT": "often"})
