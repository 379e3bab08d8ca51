"""The build step that names the seat route's chunks in the fallback page's head script."""

from __future__ import annotations

import json

from ticketing.components.seat_map import EARLY_FETCH
from ticketing.preload_plugin import PLACEHOLDER, SEAT_ROUTE, SeatRoutePreload, route_chunks

MANIFEST = "window.__reactRouterManifest=" + json.dumps({
    "entry": {"module": "/assets/entry.client-A.js", "imports": []},
    "routes": {
        "root": {"id": "root", "path": "", "module": "/assets/root-B.js", "imports": []},
        "routes/seats": {"id": "routes/seats", "parentId": "root", "path": SEAT_ROUTE,
                         "module": "/assets/seats-C.js", "imports": ["/assets/seat_map-D.js", "/assets/react-E.js"]},
    },
    "url": "/assets/manifest-F.js", "version": "F",
}) + ";"


def test_the_head_script_carries_the_placeholder():
    assert PLACEHOLDER in EARLY_FETCH


def test_route_chunks_lists_module_then_imports():
    assert route_chunks(MANIFEST, SEAT_ROUTE) == ["/assets/seats-C.js", "/assets/seat_map-D.js", "/assets/react-E.js"]
    assert route_chunks(MANIFEST, "no/such/route") == []


def test_post_build_writes_the_list_into_the_fallback_page(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "manifest-F.js").write_text(MANIFEST)
    page = f'<head><link rel="modulepreload" href="/assets/manifest-F.js"/><script>{EARLY_FETCH}</script></head>'
    (tmp_path / "__spa-fallback.html").write_text(page)
    (tmp_path / "login.html").write_text(page)

    SeatRoutePreload().post_build(static_dir=tmp_path)

    html = (tmp_path / "__spa-fallback.html").read_text()
    assert PLACEHOLDER not in html
    assert 'var built=["/assets/seats-C.js","/assets/seat_map-D.js","/assets/react-E.js"];' in html
    assert PLACEHOLDER in (tmp_path / "login.html").read_text()  # only the pages a seat URL can get
