"""A build step: name the seat map route's scripts in the page the server sends for it.

Dynamic routes are served one shared HTML file (React Router's SPA fallback). Its head script
(components/seat_map.py) starts the seat map's downloads; after the production build this plugin
writes the list of the seat route's module and imports (from React Router's manifest) into that
script, so on a seat map URL they are requested while the head is parsed instead of after the
app's entry has run. Without the list (dev server) the script reads the manifest itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import reflex as rx

SEAT_ROUTE = "events/:event_id/seats/:session_id"
PLACEHOLDER = "/*SEAT_ROUTE_CHUNKS*/null"
HTML_FILES = ("__spa-fallback.html", "index.html")


def route_chunks(manifest_js: str, route_path: str) -> list[str]:
    """The module and imports of the route at `route_path` in React Router's built manifest."""
    body = manifest_js[manifest_js.index("=") + 1:].strip().rstrip(";")
    manifest = json.loads(body)
    for route in manifest["routes"].values():
        if route.get("path") == route_path:
            return [route["module"], *route.get("imports", [])]
    return []


class SeatRoutePreload(rx.plugins.Plugin):
    """post_build: the seat route's chunk list into the fallback page's head script."""

    def post_build(self, **context: Any) -> None:
        static_dir = Path(context["static_dir"])
        for name in HTML_FILES:
            page = static_dir / name
            if not page.exists():
                continue
            html = page.read_text()
            found = re.search(r'href="(/assets/manifest-[^"]+\.js)"', html)
            if PLACEHOLDER not in html or not found:
                continue
            chunks = route_chunks((static_dir / found.group(1).lstrip("/")).read_text(), SEAT_ROUTE)
            if chunks:
                page.write_text(html.replace(PLACEHOLDER, json.dumps(chunks, separators=(",", ":"))))
