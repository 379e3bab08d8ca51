"""The address of the client behind a request, for the throttle.

Behind a reverse proxy every connection comes from the proxy, so per-address limits would lump
all clients together; the proxy names the real client in X-Real-IP (nginx sets it to its peer,
overwriting whatever the client sent) and appends it to X-Forwarded-For. Those headers are
only believed when the connection comes from a configured trusted proxy (TRUSTED_PROXIES,
default none): anyone else could write any address there and dodge the limits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from ticketing.settings import Network, get_settings

def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(peer: str, networks: Iterable[Network]) -> bool:
    ip = _ip(peer)
    return ip is not None and any(ip in net for net in networks)


def client_address(peer: str, headers: Mapping[str, str], networks: Iterable[Network] | None = None) -> str:
    """The client's address: `peer` (the connection's), unless the peer is a trusted proxy that
    names the client in X-Real-IP or, failing that, as the last X-Forwarded-For entry (the one
    the proxy itself appended; entries further left are whatever the client wrote)."""
    networks = get_settings().trusted_proxies if networks is None else networks
    if not _trusted(peer, networks):
        return peer
    real = headers.get("x-real-ip", "")
    forwarded = [p.strip() for p in headers.get("x-forwarded-for", "").split(",") if p.strip()]
    for candidate in (real, forwarded[-1] if forwarded else ""):
        ip = _ip(candidate)
        if ip is not None:
            return str(ip)
    return peer
