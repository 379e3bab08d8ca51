"""Checkout of a live hold on the claim counters (PostgreSQL): one statement.

A live hold's claims already count against its sessions and quotas, so turning it into a
pending order needs no recount: its claims move to the order (the counters' trigger moves
their quantities from held to pending) together with the order, its lines and tickets. The
statement locks the sessions and ticket types (sorted ids, as every sale does), then the hold's
claims, then the day's order number, and writes only if every claim the hold was granted is
still there and unexpired with a margin: a transaction whose clock runs ahead may already
count a hold at the edge of expiry as expired (and reclaim its claims), so such holds, free
orders, seats and SQLite go through the exact checkout in orders.py instead.

Before it, read_hold locks the hold and reads what the checkout is decided on (the hold, its
lines, the event's status and payment minutes, the buyer's name and email) in one plain
statement: the ORM reads it replaces cost more client CPU than the statement that converts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

from ticketing.db import busy_on_lock, pg_array

# A hold expiring sooner than this is checked out by the exact path (see the module docstring).
CLOCK_MARGIN = timedelta(seconds=30)

_READ_HOLD = """
SELECT h.user_id, h.event_id, h.status, h.expires_at, h.currency, e.status, e.payment_minutes, u.name, u.email,
       (SELECT json_agg(json_build_array(i.id, i.ticket_type_id, i.quantity, i.unit_price_minor)
                        ORDER BY t.sort_order, t.name, i.id)
        FROM hold_items i JOIN ticket_types t ON t.id = i.ticket_type_id WHERE i.hold_id = h.id),
       EXISTS (SELECT 1 FROM hold_seats s WHERE s.hold_id = h.id),
       h.promo_code_id IS NOT NULL OR EXISTS (SELECT 1 FROM presale_uses pu WHERE pu.hold_id = h.id)
FROM holds h JOIN events e ON e.id = h.event_id JOIN users u ON u.id = h.user_id
WHERE h.id = %(hold_id)s
FOR UPDATE OF h
"""


@dataclass(frozen=True, slots=True)
class Line:
    """A hold's line (the attribute names of models.HoldItem)."""

    id: uuid.UUID
    ticket_type_id: uuid.UUID
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class HoldFacts:
    """What a checkout of the hold is decided on, read under the hold's row lock."""

    user_id: uuid.UUID
    event_id: uuid.UUID
    status: str
    expires_at: datetime
    currency: str
    event_status: str
    payment_minutes: int
    buyer: tuple[str, str]  # the buyer's name and email
    lines: list[Line]  # in display order (holds.hold_items)
    seated: bool  # seats are held with it (their checkout is the exact one's)
    promo: bool  # a promo or access code's use goes with it (the exact checkout's too)


def read_hold(raw: psycopg.Connection, hold_id: uuid.UUID) -> HoldFacts | None:
    """Lock the hold (the first lock a checkout takes, as on the exact path) and read it;
    None when there is no such hold."""
    with busy_on_lock():
        row = raw.execute(_READ_HOLD, {"hold_id": hold_id}, prepare=True).fetchone()
    if row is None:
        return None
    user_id, event_id, status, expires_at, currency, event_status, payment_minutes, name, email, lines, seated, promo = row
    return HoldFacts(
        user_id=user_id, event_id=event_id, status=status, expires_at=expires_at, currency=currency,
        event_status=event_status, payment_minutes=payment_minutes, buyer=(name, email),
        lines=[Line(uuid.UUID(i), uuid.UUID(t), q, p) for i, t, q, p in lines or []], seated=seated, promo=promo,
    )


# Rows are picked by `id = ANY(ARRAY(SELECT ...))`, never `id IN (SELECT ...)`: the planner
# guesses a CTE's size, and for a guess of a hundred rows it hashes the CTE and scans the whole
# table (every live claim of every event) rather than look up the few ids by their index.
_CONVERT = """
WITH wanted AS MATERIALIZED (
    SELECT session_id, ticket_type_id FROM place_claims WHERE hold_id = %(hold_id)s
),
s AS MATERIALIZED (
    SELECT id, sold, claimed_pending, claimed_held FROM sessions
    WHERE id = ANY(ARRAY(SELECT session_id FROM wanted)) ORDER BY id FOR NO KEY UPDATE
),
t AS MATERIALIZED (
    SELECT id, sold, claimed_pending, claimed_held FROM ticket_types
    WHERE id = ANY(ARRAY(SELECT ticket_type_id FROM wanted)) ORDER BY id FOR NO KEY UPDATE
),
-- The hold's claims once their sessions and types are locked: each claim the hold was granted
-- (one per included session, one per quota) still there and live.
cl AS MATERIALIZED (
    SELECT id, session_id, ticket_type_id, quantity, expires_at FROM place_claims
    WHERE hold_id = %(hold_id)s AND (SELECT count(*) FROM s) + (SELECT count(*) FROM t) >= 0
    ORDER BY id FOR UPDATE
),
ok AS MATERIALIZED (
    SELECT count(*) > 0 AND bool_and(expires_at > %(cutoff)s)
           AND COALESCE(sum(quantity) FILTER (WHERE session_id IS NOT NULL), 0) = (
               SELECT COALESCE(sum(hi.quantity), 0) FROM hold_items hi
               JOIN ticket_type_sessions tts ON tts.ticket_type_id = hi.ticket_type_id
               WHERE hi.hold_id = %(hold_id)s)
           AND COALESCE(sum(quantity) FILTER (WHERE ticket_type_id IS NOT NULL), 0) = (
               SELECT COALESCE(sum(hi.quantity), 0) FROM hold_items hi
               JOIN ticket_types tt ON tt.id = hi.ticket_type_id
               WHERE hi.hold_id = %(hold_id)s AND tt.max_quantity IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM hold_seats WHERE hold_id = %(hold_id)s) AS ok
    FROM cl
),
n AS (
    INSERT INTO order_number_counters (day, last)
    SELECT %(day)s, 1 FROM ok WHERE ok.ok
    ON CONFLICT (day) DO UPDATE SET last = order_number_counters.last + 1
    RETURNING last
),
o AS (
    INSERT INTO orders (id, number, event_id, user_id, hold_id, status, currency, total_minor, payment_due_at,
                        created_at)
    SELECT %(order_id)s, 'ORD-' || %(day)s || '-' || lpad(n.last::text, greatest(4, length(n.last::text)), '0'),
           %(event_id)s, %(user_id)s, %(hold_id)s, 'pending', %(currency)s, %(total_minor)s, %(due)s, %(now)s
    FROM n
    RETURNING id, number
),
i AS (
    INSERT INTO order_items (id, order_id, ticket_type_id, quantity, unit_price_minor)
    SELECT line.id, o.id, line.type_id, line.quantity, line.price
    FROM o, unnest(%(line_ids)s::uuid[], %(line_types)s::uuid[], %(line_quantities)s::int[],
                   %(line_prices)s::bigint[]) AS line(id, type_id, quantity, price)
),
tk AS (
    INSERT INTO tickets (id, order_id, order_item_id, ticket_type_id, event_id, holder_name, holder_email, code,
                         code_version, short_code, status, created_at)
    SELECT x.id, o.id, x.line_id, x.type_id, %(event_id)s, x.name, x.email, x.code, 1, x.short_code, 'pending',
           %(now)s
    FROM o, unnest(%(ticket_ids)s::uuid[], %(ticket_lines)s::uuid[], %(ticket_types)s::uuid[],
                   %(ticket_names)s::text[], %(ticket_emails)s::text[], %(ticket_codes)s::text[],
                   %(ticket_short_codes)s::text[])
         AS x(id, line_id, type_id, name, email, code, short_code)
    -- A short code already the event's skips its ticket; the caller inserts it with a new one.
    ON CONFLICT (event_id, short_code) DO NOTHING
    RETURNING id
),
c AS (
    UPDATE place_claims SET hold_id = NULL, order_id = (SELECT id FROM o), expires_at = %(due)s
    WHERE id = ANY(ARRAY(SELECT id FROM cl)) AND EXISTS (SELECT 1 FROM o)
    RETURNING session_id, ticket_type_id, quantity
),
h AS (
    UPDATE holds SET status = 'converted' WHERE id = %(hold_id)s AND EXISTS (SELECT 1 FROM o)
),
-- Counting c's rows makes the claims move before the event row is locked (the lock order of
-- every use case: sessions and ticket types, then the event).
e AS (
    UPDATE events SET version = version + 1
    WHERE id = %(event_id)s AND (SELECT count(*) FROM c) > 0
    RETURNING version
)
SELECT (SELECT number FROM o), (SELECT version FROM e),
       (SELECT json_agg(json_build_array(id, 's', sold, claimed_pending, claimed_held)) FROM s),
       (SELECT json_agg(json_build_array(id, 't', sold, claimed_pending, claimed_held)) FROM t
        WHERE id IN (SELECT ticket_type_id FROM cl)),
       (SELECT json_agg(json_build_array(session_id, ticket_type_id, quantity)) FROM c),
       (SELECT array_agg(id) FROM tk)
"""


@dataclass(frozen=True)
class Converted:
    """The order's number and the event version it made, the live delta's figures
    {id: (sold, pending, held)} after the move, and the tickets written (a ticket whose short
    code collided is not)."""

    number: str
    version: int
    sessions: dict[uuid.UUID, tuple[int, int, int]]
    quotas: dict[uuid.UUID, tuple[int, int, int]]
    ticket_ids: frozenset[uuid.UUID]


def convert(raw: psycopg.Connection, *, order: dict[str, Any], lines: list[dict[str, Any]],
            tickets: list[dict[str, Any]], now: datetime) -> Converted | None:
    """Write the order if the hold's claims allow it (in the caller's transaction, which holds
    the hold's row lock); None when the exact checkout must decide. Uuids and integers go as
    array literals; text (holder names may hold commas and quotes) as lists psycopg adapts."""
    params = convert_params(order=order, lines=lines, tickets=tickets, now=now)
    with busy_on_lock():
        number, version, sessions, types, moved, ticket_ids = raw.execute(_CONVERT, params, prepare=True).fetchone()
    if number is None:
        return None
    held_to_pending: dict[uuid.UUID, int] = {}
    for session_id, type_id, quantity in moved:
        key = uuid.UUID(session_id or type_id)
        held_to_pending[key] = held_to_pending.get(key, 0) + quantity

    def after(rows: list | None) -> dict[uuid.UUID, tuple[int, int, int]]:
        out = {}
        for row_id, _kind, sold, pending, held in rows or []:
            key = uuid.UUID(row_id)
            n = held_to_pending.get(key, 0)
            out[key] = (sold, pending + n, held - n)
        return out

    return Converted(number=number, version=version, sessions=after(sessions), quotas=after(types),
                     ticket_ids=frozenset(ticket_ids or ()))


def convert_params(*, order: dict[str, Any], lines: list[dict[str, Any]], tickets: list[dict[str, Any]],
                   now: datetime) -> dict[str, Any]:
    """The parameters of the convert statement."""
    return {
        "hold_id": order["hold_id"], "order_id": order["id"], "event_id": order["event_id"],
        "user_id": order["user_id"], "currency": order["currency"], "total_minor": order["total_minor"],
        "due": order["payment_due_at"], "now": now, "cutoff": now + CLOCK_MARGIN,
        "day": now.astimezone(timezone.utc).strftime("%Y%m%d"),
        "line_ids": pg_array([x["id"] for x in lines]), "line_types": pg_array([x["ticket_type_id"] for x in lines]),
        "line_quantities": pg_array([x["quantity"] for x in lines]),
        "line_prices": pg_array([x["unit_price_minor"] for x in lines]),
        "ticket_ids": pg_array([x["id"] for x in tickets]),
        "ticket_lines": pg_array([x["order_item_id"] for x in tickets]),
        "ticket_types": pg_array([x["ticket_type_id"] for x in tickets]),
        "ticket_names": [x["holder_name"] for x in tickets], "ticket_emails": [x["holder_email"] for x in tickets],
        "ticket_codes": [x["code"] for x in tickets], "ticket_short_codes": [x["short_code"] for x in tickets],
    }
