"""The reads and the one write of a hold granted on the claim counters (PostgreSQL only).

holds.hold_tickets and holds.place_hold decide; this module only talks to the database, in plain
SQL on a psycopg connection (the caller's transaction, or autocommit), no ORM rows:

- basket: the event's settings, the asked ticket types with their revision and sessions, and
  whether a session is seated or has prerequisites: read without locks, and kept per worker
  process for the next buyer of the same basket (whatever changed since is caught by take).
- take: lock the buyer, their active hold if any, the sessions and the ticket types (the lock
  order of places.py), then, only if no ticket type's revision moved, the event's settings are
  the ones the basket was decided on and capacity - sold - claimed covers the demand of every
  session and quota, insert the hold, its lines and its claims (the triggers of migration 0009
  raise the counters) and bump the event's version, all in that one statement. The partial
  unique index on active holds refuses a second one.

The counters include claims that expired but are not deleted yet, so a refusal here is final
only when none of the counters that are short counts such a claim (`full`); else the caller
takes the exact, locked recount, which deletes them (`short`). Why the distinction: after a
sell-out every buyer is refused, and on the exact path each refusal held the session's lock
through several round trips from a busy worker, so the refusals and the winners' checkouts
queued behind each other (bench/onsale.py: 10 holds a second, checkouts after 30 s).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from ticketing.db import busy_on_lock, pg_array
from ticketing.models import Hold, HoldItem
from ticketing.services.promotions.redemptions import CodeFacts


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What a basket's rules read of the event (the attribute names of models.Event)."""

    id: uuid.UUID
    status: str
    hold_minutes: int
    max_tickets_per_order: int
    one_ticket_per_attendee: bool


@dataclass(frozen=True, slots=True)
class TypeFacts:
    """What a basket's rules read of a ticket type (the attribute names of models.TicketType)."""

    id: uuid.UUID
    name: str
    price_minor: int
    currency: str
    is_active: bool
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    min_per_order: int
    max_per_order: int | None
    max_quantity: int | None
    sort_order: int
    revision: int


@dataclass(frozen=True)
class Basket:
    event: EventFacts
    types: dict[uuid.UUID, TypeFacts]  # the asked ones that belong to the event
    sessions_of: dict[uuid.UUID, list[uuid.UUID]]  # sorted session ids per ticket type
    special: bool  # a seated session, or one with prerequisites, among them, or a presale of the event


_READ_BASKET = """
SELECT e.status, e.hold_minutes, e.max_tickets_per_order, e.one_ticket_per_attendee,
       t.id, t.name, t.price_minor, t.currency, t.is_active, t.sale_starts_at, t.sale_ends_at,
       t.min_per_order, t.max_per_order, t.max_quantity, t.sort_order, t.revision,
       ts.session_id,
       EXISTS (SELECT 1 FROM seated_sessions ss WHERE ss.session_id = ts.session_id)
           OR EXISTS (SELECT 1 FROM session_prerequisites p WHERE p.session_id = ts.session_id)
           OR EXISTS (SELECT 1 FROM presales ps WHERE ps.event_id = e.id)
FROM events e
LEFT JOIN ticket_types t ON t.event_id = e.id AND t.id = ANY(%(type_ids)s)
LEFT JOIN ticket_type_sessions ts ON ts.ticket_type_id = t.id
WHERE e.id = %(event_id)s
"""


# (event id, ticket type ids) -> Basket: the catalog side of recent baskets in this process.
_BASKETS: OrderedDict[tuple[uuid.UUID, tuple[uuid.UUID, ...]], Basket] = OrderedDict()
_MAX_BASKETS = 512
_BASKETS_LOCK = threading.Lock()


def basket(raw: psycopg.Connection, *, event_id: uuid.UUID, type_ids: list[uuid.UUID]) -> Basket | None:
    """The facts a hold is decided on (None when the event does not exist): remembered, or
    read without locks. take re-checks under its locks everything they say."""
    key = (event_id, tuple(type_ids))
    with _BASKETS_LOCK:  # API requests run in threads
        known = _BASKETS.get(key)
        if known is not None:
            _BASKETS.move_to_end(key)
            return known
    found = read_basket(raw, event_id=event_id, type_ids=type_ids)
    if found is not None:
        with _BASKETS_LOCK:
            _BASKETS[key] = found
            if len(_BASKETS) > _MAX_BASKETS:
                _BASKETS.popitem(last=False)
    return found


def forget_basket(event_id: uuid.UUID, type_ids: list[uuid.UUID]) -> None:
    with _BASKETS_LOCK:
        _BASKETS.pop((event_id, tuple(type_ids)), None)


def read_basket(raw: psycopg.Connection, *, event_id: uuid.UUID, type_ids: list[uuid.UUID]) -> Basket | None:
    rows = raw.execute(_READ_BASKET, {"event_id": event_id, "type_ids": type_ids}, prepare=True).fetchall()
    if not rows:
        return None
    event = EventFacts(event_id, *rows[0][:4])
    types: dict[uuid.UUID, TypeFacts] = {}
    sessions_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    special = False
    for row in rows:
        type_id = row[4]
        if type_id is None:
            continue
        if type_id not in types:
            types[type_id] = TypeFacts(*row[4:16])
            sessions_of[type_id] = []
        if row[16] is not None:
            sessions_of[type_id].append(row[16])
            special = special or bool(row[17])
    for session_ids in sessions_of.values():
        session_ids.sort()
    return Basket(event=event, types=types, sessions_of=sessions_of, special=special)


_TAKE = """
WITH locked AS MATERIALIZED (
    -- The buyer's revision is -1 when the caller's token is no longer theirs (signed out
    -- everywhere): then nothing is written, and the caller answers invalid_token.
    -- `stale`: the row's counters still count a claim that has expired (only the exact path
    -- deletes those), so a refusal for lack of room there is not final.
    SELECT * FROM (SELECT id, 'u' AS kind, 0 AS room, false AS closed,
                          CASE WHEN token_version = COALESCE(%(token_version)s::int, token_version)
                               THEN 0 ELSE -1 END AS revision,
                          0 AS sold, 0 AS pending, 0 AS held, false AS stale, '' AS name
                   FROM users WHERE id = %(user_id)s FOR NO KEY UPDATE) u
    UNION ALL
    -- The buyer's active hold, if any, before the sessions (a checkout of it locks it, then
    -- them): then the insert below does nothing and the caller takes the exact path.
    SELECT * FROM (SELECT id, 'h', 0, false, 0, 0, 0, 0, false, ''
                   FROM holds WHERE user_id = %(user_id)s AND event_id = %(event_id)s AND status = 'active'
                   FOR UPDATE) h
    UNION ALL
    SELECT * FROM (SELECT id, 's', capacity - sold - claimed_held - claimed_pending, status = 'cancelled', 0,
                          sold, claimed_pending, claimed_held,
                          EXISTS (SELECT 1 FROM place_claims c WHERE c.session_id = sessions.id
                                  AND c.expires_at <= %(created_at)s), name
                   FROM sessions WHERE id = ANY(%(session_ids)s::uuid[]) ORDER BY id FOR NO KEY UPDATE) s
    UNION ALL
    SELECT * FROM (SELECT id, 't', COALESCE(max_quantity - sold - claimed_held - claimed_pending, 2147483647),
                          false, revision, sold, claimed_pending, claimed_held,
                          EXISTS (SELECT 1 FROM place_claims c WHERE c.ticket_type_id = ticket_types.id
                                  AND c.expires_at <= %(created_at)s), name
                   FROM ticket_types WHERE id = ANY(%(type_ids)s::uuid[]) ORDER BY id FOR NO KEY UPDATE) t
),
ok AS MATERIALIZED (
    -- Freed places go to the waiting list first: while anyone waits for one of these types,
    -- the exact path decides (it refuses everyone but the offers).
    SELECT count(*) = %(wanted)s AND COALESCE(bool_and(NOT l.closed AND l.revision = w.revision), false)
           AND NOT EXISTS (SELECT 1 FROM waitlist_entries WHERE ticket_type_id = ANY(%(type_ids)s::uuid[])
                           AND status = 'waiting')
           AND EXISTS (SELECT 1 FROM events WHERE id = %(event_id)s AND status = 'published'
                       AND hold_minutes = %(hold_minutes)s AND max_tickets_per_order = %(max_tickets_per_order)s
                       AND NOT one_ticket_per_attendee) AS same,
           COALESCE(bool_and(l.room >= w.n), false) AS room
    FROM locked l
    JOIN unnest(%(want_ids)s::uuid[], %(want_n)s::int[], %(want_revision)s::int[]) AS w(id, n, revision)
      ON w.id = l.id
),
h AS (
    INSERT INTO holds (id, event_id, user_id, status, currency, total_minor, expires_at, created_at)
    SELECT %(hold_id)s, %(event_id)s, %(user_id)s, 'active', %(currency)s, %(total_minor)s, %(expires_at)s,
           %(created_at)s
    FROM ok WHERE ok.same AND ok.room
    ON CONFLICT (user_id, event_id) WHERE status = 'active' DO NOTHING
    RETURNING id
),
i AS (
    INSERT INTO hold_items (id, hold_id, ticket_type_id, quantity, unit_price_minor)
    SELECT line.id, h.id, line.type_id, line.quantity, line.price
    FROM h, unnest(%(line_ids)s::uuid[], %(line_types)s::uuid[], %(line_quantities)s::int[],
                   %(line_prices)s::bigint[]) AS line(id, type_id, quantity, price)
    RETURNING 1
),
c AS (
    INSERT INTO place_claims (id, event_id, session_id, ticket_type_id, hold_id, order_id, quantity, expires_at)
    SELECT claim.id, %(event_id)s, claim.session_id, claim.type_id, h.id, NULL, claim.quantity, %(expires_at)s
    FROM h, unnest(%(claim_ids)s::uuid[], %(claim_sessions)s::uuid[], %(claim_types)s::uuid[],
                   %(claim_quantities)s::int[]) WITH ORDINALITY AS claim(id, session_id, type_id, quantity, n)
    ORDER BY claim.n
    RETURNING 1
),
-- Counting c's rows makes the claims go in before the event row is locked (sessions and
-- ticket types, then the event: the lock order of every use case).
e AS (
    UPDATE events SET version = version + 1
    WHERE id = %(event_id)s AND (SELECT count(*) FROM c) > 0
    RETURNING version
)
SELECT (SELECT same FROM ok), (SELECT room FROM ok), (SELECT count(*) FROM h), (SELECT version FROM e),
       (SELECT json_agg(json_build_array(id, kind, sold, pending, held, room, stale, name)) FROM locked
        WHERE kind IN ('s', 't')),
       EXISTS (SELECT 1 FROM locked WHERE kind = 'h'),
       (SELECT revision FROM locked WHERE kind = 'u'),
       set_config('synchronous_commit', COALESCE(%(commit_mode)s, current_setting('synchronous_commit')), true)
"""


def _with_code(take: str) -> str:
    """_TAKE for a hold with a promo code: the code's row is locked after the places' rows (the
    lock order of every sale), its terms must be the ones the hold was decided on (`revision`)
    and its counter of uses (redemption rows, kept by the triggers of migration 0014) below its
    limit; the hold and its lines carry the discount, and one redemption row is inserted. A
    plain hold keeps running _TAKE itself, not a statement with a code's parts switched off."""
    parts = [
        ("ok AS MATERIALIZED (", """pc AS MATERIALIZED (
    SELECT claimed, max_uses, revision FROM promo_codes
    WHERE id = %(code_id)s AND (SELECT count(*) FROM locked) >= 0
    FOR UPDATE
),
ok AS MATERIALIZED ("""),
        ("AND NOT one_ticket_per_attendee) AS same,",
         "AND NOT one_ticket_per_attendee)\n           AND EXISTS (SELECT 1 FROM pc WHERE revision = %(code_revision)s) AS same,"),
        ("COALESCE(bool_and(l.room >= w.n), false) AS room",
         "COALESCE(bool_and(l.room >= w.n), false)\n           AND COALESCE((SELECT max_uses IS NULL OR claimed < max_uses FROM pc), false) AS room"),
        ("INSERT INTO holds (id, event_id, user_id, status, currency, total_minor, expires_at, created_at)",
         "INSERT INTO holds (id, event_id, user_id, status, currency, total_minor, expires_at, created_at, promo_code_id,\n"
         "                   discount_minor)"),
        ("           %(created_at)s\n    FROM ok", "           %(created_at)s, %(code_id)s, %(discount_minor)s\n    FROM ok"),
        ("INSERT INTO hold_items (id, hold_id, ticket_type_id, quantity, unit_price_minor)\n"
         "    SELECT line.id, h.id, line.type_id, line.quantity, line.price",
         "INSERT INTO hold_items (id, hold_id, ticket_type_id, quantity, unit_price_minor, discount_minor)\n"
         "    SELECT line.id, h.id, line.type_id, line.quantity, line.price, line.discount"),
        ("%(line_prices)s::bigint[]) AS line(id, type_id, quantity, price)",
         "%(line_prices)s::bigint[], %(line_discounts)s::bigint[])\n"
         "         AS line(id, type_id, quantity, price, discount)"),
        ("-- Counting c's rows", """r AS (
    INSERT INTO promo_redemptions (id, promo_code_id, user_id, hold_id, order_id, discount_minor, expires_at,
                                   created_at)
    SELECT %(redemption_id)s, %(code_id)s, %(user_id)s, h.id, NULL, %(discount_minor)s, %(expires_at)s,
           %(created_at)s
    FROM h
    RETURNING 1
),
-- Counting c's rows"""),
    ]
    for old, new in parts:
        assert take.count(old) == 1, old
        take = take.replace(old, new)
    return take


_TAKE_WITH_CODE = _with_code(_TAKE)

_READ_CODE = """
SELECT id, code, kind, value, currency, buy_quantity, get_quantity, ticket_type_ids, price_level_ids, starts_at,
       ends_at, is_active, max_uses, max_uses_per_customer, min_tickets, revision
FROM promo_codes WHERE event_id = %(event_id)s AND code_key = %(code_key)s
"""


# (event id, code key) -> CodeFacts: the codes of recent holds in this process, like _BASKETS
# (take's revision check under the code's lock catches any change; a miss is read again).
_CODES: OrderedDict[tuple[uuid.UUID, str], CodeFacts] = OrderedDict()


def read_code(raw: psycopg.Connection, *, event_id: uuid.UUID, code_key: str) -> CodeFacts | None:
    """The event's code by its key: remembered, or read without a lock (take re-checks its
    revision under the lock). An unknown code is never remembered: it may be created next."""
    key = (event_id, code_key)
    with _BASKETS_LOCK:
        known = _CODES.get(key)
        if known is not None:
            _CODES.move_to_end(key)
            return known
    row = raw.execute(_READ_CODE, {"event_id": event_id, "code_key": code_key}, prepare=True).fetchone()
    if row is None:
        return None
    found = CodeFacts(*row)
    with _BASKETS_LOCK:
        _CODES[key] = found
        if len(_CODES) > _MAX_BASKETS:
            _CODES.popitem(last=False)
    return found


def forget_code(event_id: uuid.UUID, code_key: str) -> None:
    with _BASKETS_LOCK:
        _CODES.pop((event_id, code_key), None)


@dataclass(frozen=True, slots=True)
class Shortage:
    """The first row a refused basket does not fit in, in the exact path's order of checks
    (quotas, then sessions, each by id): kind 't' (a ticket type's quota) or 's' (a session)."""

    kind: str
    row_id: uuid.UUID
    name: str
    left: int


@dataclass(frozen=True)
class Taken:
    """The outcome of take: `granted`, or why not (`stale_token`: the caller's token version is
    not the buyer's; `changed`: a ticket type was edited, a session cancelled or a row deleted
    since read_basket, or someone waits for one of the types; `full`: no room, and final: no
    counter that is short counts an expired claim, the buyer has no active hold to give back and
    no promo code is involved, so the exact path would refuse the same (`shortage`); `short`: no
    room on the counters, which the exact path's recount may find; `conflict`: the buyer has an
    active hold)."""

    outcome: str
    version: int | None = None
    # {row id: (kind 's'|'t', sold, pending, held)} as locked, before this hold's claims
    counts: dict[uuid.UUID, tuple[str, int, int, int]] | None = None
    shortage: Shortage | None = None


def take(raw: psycopg.Connection, *, hold: Hold, lines: list[HoldItem], session_need: dict[uuid.UUID, int],
         basket: Basket, quantities: dict[uuid.UUID, int], claims: list[dict[str, Any]],
         asynchronous: bool = False, token_version: int | None = None, code: CodeFacts | None = None) -> Taken:
    """Insert the hold if the counters and revisions allow it (see the module's docstring).
    `asynchronous`: the statement is its own transaction (autocommit) and commits without
    waiting for the WAL flush (docs/decisions.md, "Holds commit asynchronously"); never inside
    a caller's transaction, whose other writes (an order) must be durable. `token_version`:
    the caller's token's, checked against the buyer's under the buyer's lock (the API's token
    check, without a read of its own). `code`: the promo code whose discount the hold and its
    lines carry (_TAKE_WITH_CODE; `short` also when the code's counter is at its limit,
    `changed` when its terms moved)."""
    types = basket.types
    session_ids = sorted(session_need)
    type_ids = sorted(types)
    want_ids = [hold.user_id, *session_ids, *type_ids]
    params = {
        "user_id": hold.user_id, "event_id": hold.event_id, "session_ids": pg_array(session_ids),
        "type_ids": pg_array(type_ids),
        "hold_minutes": basket.event.hold_minutes, "max_tickets_per_order": basket.event.max_tickets_per_order,
        "wanted": len(want_ids), "want_ids": pg_array(want_ids),
        "want_n": pg_array([0, *(session_need[s] for s in session_ids),
                          *(quantities[t] if types[t].max_quantity is not None else 0 for t in type_ids)]),
        "want_revision": pg_array([0, *(0 for _ in session_ids), *(types[t].revision for t in type_ids)]),
        "hold_id": hold.id, "currency": hold.currency, "total_minor": hold.total_minor,
        "expires_at": hold.expires_at, "created_at": hold.created_at,
        "line_ids": pg_array([x.id for x in lines]), "line_types": pg_array([x.ticket_type_id for x in lines]),
        "line_quantities": pg_array([x.quantity for x in lines]),
        "line_prices": pg_array([x.unit_price_minor for x in lines]),
        "claim_ids": pg_array([c["id"] for c in claims]), "claim_sessions": pg_array([c["session_id"] for c in claims]),
        "claim_types": pg_array([c["ticket_type_id"] for c in claims]),
        "claim_quantities": pg_array([c["quantity"] for c in claims]),
        "commit_mode": "off" if asynchronous else None, "token_version": token_version,
    }
    statement = _TAKE
    if code is not None:
        statement = _TAKE_WITH_CODE
        params.update({"code_id": code.id, "code_revision": code.revision, "discount_minor": hold.discount_minor,
                       "line_discounts": pg_array([x.discount_minor for x in lines]), "redemption_id": uuid.uuid4()})
    with busy_on_lock():
        same, room, inserted, version, counts, has_hold, buyer, _ = raw.execute(statement, params,
                                                                             prepare=True).fetchone()
    if token_version is not None and buyer != 0:
        return Taken("stale_token")
    if not same:
        forget_basket(hold.event_id, type_ids)
        if code is not None:
            forget_code(hold.event_id, code.code.lower())
        return Taken("changed")
    if not room:
        rows = {uuid.UUID(row_id): (kind, left, stale, name)
                for row_id, kind, _sold, _pending, _held, left, stale, name in counts}
        short = [(t, quantities[t]) for t in type_ids if types[t].max_quantity is not None]
        short += [(s, session_need[s]) for s in session_ids]
        short = [row_id for row_id, need in short if rows[row_id][1] < need]
        if code is not None or has_hold or not short or any(rows[r][2] for r in short):
            return Taken("short")
        kind, left, _stale, name = rows[short[0]]
        return Taken("full", shortage=Shortage(kind, short[0], name, max(0, left)))
    if not inserted:
        return Taken("conflict")
    return Taken("granted", version, {uuid.UUID(row_id): (kind, sold, pending, held)
                                      for row_id, kind, sold, pending, held, *_ in counts})

