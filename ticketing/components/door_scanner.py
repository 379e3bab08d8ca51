"""The door scanner: assets/door_scanner.jsx wrapped for Reflex.

Client-only (it touches the camera, localStorage and `window` at once). Its npm libraries are
pinned: @zxing/browser decodes QR codes from the camera and from photos, @noble/ed25519 checks
ticket signatures offline (with @noble/hashes where Web Crypto is missing).
"""

from __future__ import annotations

import reflex as rx
from reflex.event import no_args_event_spec, passthrough_event_spec

SCANNER_LIBRARIES = [
    "@zxing/browser@0.2.1",
    "@zxing/library@0.23.0",  # @zxing/browser's peer dependency
    "@noble/ed25519@3.2.0",
    "@noble/hashes@2.4.0",
]


class DoorScanner(rx.NoSSRComponent):
    library = rx.asset("door_scanner.jsx").importable_path
    tag = "DoorScanner"
    is_default = False
    lib_dependencies: list[str] = SCANNER_LIBRARIES

    event_id: rx.Var[str]
    api_url: rx.Var[str]  # the JSON API v1 base, e.g. https://tickets.example/api/v1
    token: rx.Var[str]  # the signed-in staff member's bearer token
    default_session_id: rx.Var[str]

    on_session_change: rx.EventHandler[passthrough_event_spec(str)]
    on_synced: rx.EventHandler[no_args_event_spec]


def door_scanner(**props) -> rx.Component:
    return DoorScanner.create(**props)
