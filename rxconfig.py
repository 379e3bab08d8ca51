"""Reflex configuration. Everything deployment-specific comes from the environment:
REDIS_URL switches the Reflex state manager (and the live-update bus) to Redis, which several
workers need; REFLEX_* variables override any field (ports, api_url, ...)."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from ticketing.preload_plugin import SeatRoutePreload
from ticketing.settings import DEVELOPMENT, allowed_origins

# Only the app's own origin may call the backend with credentials (Reflex's default reflects
# any origin). APP_URL must be the address people open (scripts/run sets it from PORT).
ORIGINS = allowed_origins(os.environ.get("APP_URL") or "http://localhost:3000",
                          development=os.environ.get("TICKETING_ENV") == DEVELOPMENT)

config = rx.Config(
    app_name="ticketing",
    redis_url=os.environ.get("REDIS_URL") or None,
    # Reflex warns (through rich, about 6% of a worker's CPU in bench/onsale.py's default sale)
    # for every event whose tab lock was held past this; its 1 s default fired for most events
    # of an on-sale (median 2.5 s under load). Half the lock's 10 s expiry still warns in time.
    redis_lock_warning_threshold=5000,
    cors_allowed_origins=ORIGINS,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    default_color_mode="light",
    disable_plugins=[SitemapPlugin],
    # No script of ours reads window.__reflex: without this, every page imports the whole
    # @radix-ui/themes namespace to publish it there (~40 chunks before any page can render).
    frontend_lazy_bundled_libraries=True,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="indigo", gray_color="slate", radius="large")
        ),
        SeatRoutePreload(),
    ],
)
