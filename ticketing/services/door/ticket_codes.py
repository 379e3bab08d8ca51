"""Signed ticket codes: what a ticket's QR code carries.

A code is base64url (no padding) of 86 bytes:

    format (1) | key id (1) | ticket id (16) | code version (4, big endian) | Ed25519 signature (64)

The signature covers the first 22 bytes. Verifying it needs only the public key, so a door
phone can check a code with no database and no network (offline mode), and holding that key
does not let anyone issue tickets. The version is the ticket's `code_version`: transfer and
cancellation bump it, so an older code still verifies but is refused as `revoked`.
Ed25519 rather than HMAC: an HMAC key handed to door phones could mint tickets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import uuid
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

FORMAT = 1
_HEADER = struct.Struct(">BB16sI")  # format, key id, ticket id, version
SIGNATURE_SIZE = 64
CODE_SIZE = _HEADER.size + SIGNATURE_SIZE
MAX_CODE_LENGTH = 200  # longer input is never a code of ours (and is not worth decoding)
MAX_VERSION = 2**32 - 1


@dataclass(frozen=True)
class CodeClaims:
    ticket_id: uuid.UUID
    version: int


@dataclass(frozen=True)
class _Keys:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    public_raw: bytes
    kid: int


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)


@lru_cache(maxsize=4)
def _keys_for(seed_b64: str) -> _Keys:
    private = Ed25519PrivateKey.from_private_bytes(_unb64url(seed_b64))
    public = private.public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _Keys(private, public, raw, hashlib.sha256(raw).digest()[0])


def _keys() -> _Keys:
    return _keys_for(get_settings().ticket_signing_key)


def verification_key() -> dict[str, str | int]:
    """The public half, for scanners that verify codes offline."""
    keys = _keys()
    return {"alg": "Ed25519", "kid": keys.kid, "public_key": b64url(keys.public_raw), "format": FORMAT}


def issue_code(ticket_id: uuid.UUID, version: int) -> str:
    """The signed code of a ticket at a code version."""
    if not 1 <= version <= MAX_VERSION:
        raise ValueError(f"code version out of range: {version}")
    keys = _keys()
    header = _HEADER.pack(FORMAT, keys.kid, ticket_id.bytes, version)
    return b64url(header + keys.private.sign(header))


def unknown_code() -> ServiceError:
    return ServiceError("unknown_code", "This is not a ticket code of ours.", status=404)


def _parse(code: str) -> tuple[CodeClaims, bytes, bytes]:
    """The claims, signed header and signature of anything shaped like a code of ours (the
    current key id, format and size); `unknown_code` for anything else."""
    text = code.strip()
    if not text or len(text) > MAX_CODE_LENGTH:
        raise unknown_code()
    try:
        raw = _unb64url(text)
    except (binascii.Error, ValueError) as exc:
        raise unknown_code() from exc
    if len(raw) != CODE_SIZE:
        raise unknown_code()
    header, signature = raw[: _HEADER.size], raw[_HEADER.size :]
    fmt, kid, ticket_bytes, version = _HEADER.unpack(header)
    if fmt != FORMAT or kid != _keys().kid or version < 1:
        raise unknown_code()
    return CodeClaims(uuid.UUID(bytes=ticket_bytes), version), header, signature


def read_code(code: str) -> CodeClaims:
    """The ticket id and version a genuine code carries; `unknown_code` for anything else
    (garbage, a truncated or altered code, a code signed with another key)."""
    claims, header, signature = _parse(code)
    try:
        _keys().public.verify(signature, header)
    except InvalidSignature as exc:
        raise unknown_code() from exc
    return claims


def peek_code(code: str) -> CodeClaims:
    """What a code claims, its signature NOT checked (`unknown_code` when it is not even shaped
    like one): to be trusted only once the code is found equal to the one stored for that
    ticket (`is_issued`), else checked with `read_code`. Verifying costs more CPU than the rest
    of a door scan's Python together, and the stored code was signed when it was issued."""
    return _parse(code)[0]


def is_issued(code: str, stored: str) -> bool:
    """Whether `code` (as scanned) is the code stored with its ticket, i.e. one we issued."""
    return hmac.compare_digest(code.strip().encode(), stored.encode())
