"""The seat map: a custom React component (assets/seat_map.jsx) drawing the venue on a canvas.

It downloads the layout and a status snapshot itself (once), then applies the small deltas the
seat fan-out pushes into `delta`; the big collections never travel as Reflex vars.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


class SeatMap(rx.Component):
    """<SeatMap/>. Window and canvas are only touched in effects and handlers, so it is imported
    with the page (no lazy client-only chunk: one download less before the map can start)."""

    library = rx.asset("seat_map.jsx").importable_path
    tag = "SeatMap"
    is_default = False

    layout_url: rx.Var[str]
    status_url: rx.Var[str]
    delta: rx.Var[dict[str, Any]]
    mine: rx.Var[list[int]]
    select_request: rx.Var[dict[str, Any]]
    max_select: rx.Var[int]
    mode: rx.Var[str]
    auth_token: rx.Var[str]
    height: rx.Var[str]

    on_select: rx.EventHandler[lambda idxs: [idxs]]
    on_focus_seat: rx.EventHandler[lambda idx: [idx]]
    on_mine_change: rx.EventHandler[lambda: []]


seat_map = SeatMap.create


class SeatMapAfter(rx.Component):
    """<SeatMapAfter map="seat-map">: its children are rendered once that map has drawn its first
    frame, so the map mounts and paints without waiting for the rest of the page."""

    library = rx.asset("seat_map.jsx").importable_path
    tag = "SeatMapAfter"
    is_default = False

    map: rx.Var[str]


after_seat_map = SeatMapAfter.create


# Runs while the HTML is parsed, long before React: on a seat map route it starts downloading
# the layout and the statuses, and the component picks the two responses up when it mounts.
# It also asks for the route's own code (its module and everything that module imports) at once:
# left to itself the router requests the route module only once the app's entry has run, and the
# map's chunk only once that has arrived. The production build writes the list into the script
# (ticketing/preload_plugin.py); without it the script reads React Router's manifest.
EARLY_FETCH = (
    "(function(){var m=/\\/events\\/([0-9a-f-]{36})\\/seats\\/([0-9a-f-]{36})/.exec(location.pathname);"
    "if(!m||!window.fetch)return;var b='/api/v1/events/'+m[1]+'/sessions/'+m[2];"
    "function g(u,o){var p=fetch(u,o).then(function(r){if(!r.ok)throw new Error(r.status);return r.json()});"
    "p.catch(function(){});return p}"
    "window.__seatmapEarly={layoutUrl:b+'/seatmap',statusUrl:b+'/seats/status',layout:g(b+'/seatmap',{}),"
    "status:g(b+'/seats/status',{cache:'no-store'})};"
    "function pre(us){us.forEach(function(u){if(document.querySelector('link[href=\"'+u+'\"]'))return;"
    "var l=document.createElement('link');l.rel='modulepreload';l.href=u;document.head.appendChild(l)})}"
    "var built=/*SEAT_ROUTE_CHUNKS*/null;if(built){pre(built);return}"
    "var mf=document.querySelector('link[rel=modulepreload][href*=\"/manifest-\"]');if(!mf)return;"
    "import(mf.href).then(function(){var rs=(window.__reactRouterManifest||{}).routes||{};"
    "for(var k in rs){var r=rs[k];if(r.path==='events/:event_id/seats/:session_id')pre([r.module].concat(r.imports||[]))}"
    "}).catch(function(){})})();"
)


def early_fetch() -> rx.Component:
    """A head element for every page (it does nothing off the seat map routes)."""
    return rx.el.script(custom_attrs={"dangerouslySetInnerHTML": {"__html": EARLY_FETCH}})
