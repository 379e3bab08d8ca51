"""A page being left opens no new websocket.

Reflex disconnects a page's websocket on `beforeunload`, but any event the old page still queues
before the browser replaces it (an on_mount, the on_load of a client-side redirect) reconnects
it, with the tab's token, while the next page connects with the same token. The server then
holds two sockets for one tab; when the dying one closes it can cancel the new page's hydrate,
leaving that page empty and never hydrated (seen as a signed-out, blank /orgs after signing
out). This classic script runs before Reflex's modules: from `beforeunload` on, a WebSocket
cannot be opened. If the page turns out to stay (a download, a cancelled navigation, the
back-forward cache), the guard lifts after two seconds or on `pageshow`, and Reflex's own retry
reconnects.
"""

from __future__ import annotations

import reflex as rx

PAGE_LEAVE_GUARD = """(() => {
  const Native = window.WebSocket;
  if (!Native || Native.__leaveGuard) return;
  let leavingSince = 0;
  const leaving = () => leavingSince && Date.now() - leavingSince < 2000;
  function Guarded(url, protocols) {
    if (leaving()) throw new DOMException("page is being left", "InvalidStateError");
    return protocols === undefined ? new Native(url) : new Native(url, protocols);
  }
  Guarded.prototype = Native.prototype;
  for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Guarded[k] = Native[k];
  Guarded.__leaveGuard = true;
  window.WebSocket = Guarded;
  addEventListener("beforeunload", () => { leavingSince = Date.now(); }, true);
  addEventListener("pagehide", () => { leavingSince = Date.now(); }, true);
  addEventListener("pageshow", () => { leavingSince = 0; }, true);
})();"""


def page_leave_guard() -> rx.Component:
    """A head element for every page."""
    return rx.el.script(custom_attrs={"dangerouslySetInnerHTML": {"__html": PAGE_LEAVE_GUARD}})
