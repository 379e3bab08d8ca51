"""Places taken per session and per ticket-type quota: the one counting rule.

taken = sold (confirmed, a counter on the row) + pending (claims of unpaid orders within their
deadline) + held (claims of live holds). Claims count only while expires_at > now, so an expired
hold or order frees its places at that instant, with no job running.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, case, func, union_all
from sqlmodel import Session, select

from ticketing.models import EventSession, PlaceClaim, TicketType


@dataclass(frozen=True)
class Usage:
    sold: int = 0
    pending: int = 0
    held: int = 0

    @property
    def taken(self) -> int:
        return self.sold + self.pending + self.held


@lru_cache(maxsize=None)
def claim_sums(column_name: str):
    """SELECT id, pending, held of unexpired claims per `column_name` (session_id or
    ticket_type_id) IN :ids; built once (building SQLAlchemy statements costs more CPU than
    running them)."""
    column = getattr(PlaceClaim, column_name)
    pending = func.sum(case((PlaceClaim.order_id.is_not(None), PlaceClaim.quantity), else_=0))
    held = func.sum(case((PlaceClaim.order_id.is_(None), PlaceClaim.quantity), else_=0))
    return (
        select(column.label("row_id"), pending.label("pending"), held.label("held"))
        .where(column.in_(bindparam(f"{column_name}s", expanding=True)), PlaceClaim.expires_at > bindparam("now"))
        .group_by(column)
    )


@lru_cache(maxsize=None)
def _both_claim_sums():
    return union_all(claim_sums("session_id"), claim_sums("ticket_type_id"))


def _sums(db: Session, stmt, params: dict[str, object]) -> dict[uuid.UUID, tuple[int, int]]:
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in db.exec(stmt, params=params).all()}


def _live_claims(db: Session, column, ids: Collection[uuid.UUID], now: datetime) -> dict[uuid.UUID, tuple[int, int]]:
    """{id: (pending, held)} summed over unexpired claims, one query."""
    if not ids:
        return {}
    return _sums(db, claim_sums(column.key), {f"{column.key}s": list(ids), "now": now})


def session_usage(*, db: Session, sessions: Collection[EventSession], now: datetime) -> dict[uuid.UUID, Usage]:
    """Usage of each given session (rows already loaded, and locked when the caller will write)."""
    live = _live_claims(db, PlaceClaim.session_id, [s.id for s in sessions], now)
    return {s.id: Usage(s.sold, *live.get(s.id, (0, 0))) for s in sessions}


def ticket_type_usage(*, db: Session, ticket_types: Collection[TicketType], now: datetime) -> dict[uuid.UUID, Usage]:
    """Quota usage of each given ticket type."""
    live = _live_claims(db, PlaceClaim.ticket_type_id, [t.id for t in ticket_types], now)
    return {t.id: Usage(t.sold, *live.get(t.id, (0, 0))) for t in ticket_types}


def locked_usage(
    *, db: Session, sessions: Collection[EventSession], ticket_types: Collection[TicketType], now: datetime
) -> tuple[dict[uuid.UUID, Usage], dict[uuid.UUID, Usage]]:
    """Usage of sessions and ticket types this transaction has locked, in at most one query.

    Rows this transaction already counted under its locks at the same `now` (remember) are not
    counted again; the new figures are remembered too, for the live-update delta (see
    known_usage): the locks keep every other transaction from changing them until commit.
    """
    ledger = _ledger(db)
    known = ledger.rows if ledger is not None and ledger.now == now else {}
    sessions_left = [s for s in sessions if (s.__tablename__, s.id) not in known]
    types_left = [t for t in ticket_types if (t.__tablename__, t.id) not in known]
    if sessions_left or types_left:
        params = {"session_ids": [s.id for s in sessions_left], "ticket_type_ids": [t.id for t in types_left],
                  "now": now}
        if sessions_left and types_left:
            # Session and ticket-type ids are distinct UUIDs: one result set carries both.
            live = _sums(db, _both_claim_sums(), params)
        else:
            live = _sums(db, claim_sums("session_id" if sessions_left else "ticket_type_id"), params)
        remember(db, rows=[*sessions_left, *types_left], live=live, now=now)
    ledger = db.info[LEDGER]
    session_used = {s.id: _remembered(ledger, s) for s in sessions}
    type_used = {t.id: _remembered(ledger, t) for t in ticket_types}
    return session_used, type_used


def remember(db: Session, *, rows: Collection[EventSession | TicketType], live: dict[uuid.UUID, tuple[int, int]],
             now: datetime) -> None:
    """Note the usage of locked rows just counted at `now` ({id: (pending, held)} of their
    unexpired claims; `sold` stays on the row)."""
    ledger = _ledger(db)
    if ledger is None or ledger.now != now:
        ledger = db.info[LEDGER] = _Ledger(now=now, transaction=_transaction(db))
    for row in rows:
        ledger.rows[(row.__tablename__, row.id)] = [row, *live.get(row.id, (0, 0))]


def _remembered(ledger: _Ledger, row: EventSession | TicketType) -> Usage:
    _, pending, held = ledger.rows[(row.__tablename__, row.id)]
    return Usage(row.sold, pending, held)


# db.info key: the usage of locked rows as this transaction counted them (locked_usage) and then
# changed them (note_claims), so the live-update delta need not count them again.
LEDGER = "usage_ledger"
# A ledger counted at a `now` this far from the delta's clock is recounted instead (tests run
# use cases at fixed clocks far from the wall clock).
LEDGER_SKEW = timedelta(seconds=1)


@dataclass
class _Ledger:
    now: datetime
    transaction: tuple[Any, Any]  # valid only in the (transaction, savepoint) that counted
    # (table name, id) -> [the locked ORM row (its `sold` is current), pending, held]
    rows: dict[tuple[str, uuid.UUID], list] = field(default_factory=dict)


def _transaction(db: Session) -> tuple[Any, Any]:
    return db.get_transaction(), db.get_nested_transaction()


def _ledger(db: Session) -> _Ledger | None:
    ledger = db.info.get(LEDGER)
    if ledger is not None and ledger.transaction != _transaction(db):
        db.info.pop(LEDGER, None)  # left over from an earlier transaction of this session
        return None
    return ledger


def note_claims(db: Session, *, table: str, row_id: uuid.UUID, quantity: int, pending: bool,
                expires_at: datetime) -> None:
    """A claim was written (or deleted: negative `quantity`) on a counted row: keep the
    remembered usage exact."""
    ledger = _ledger(db)
    entry = ledger.rows.get((table, row_id)) if ledger is not None else None
    if entry is not None and expires_at > ledger.now:
        entry[1 if pending else 2] += quantity


def forget_usage(db: Session) -> None:
    """Claims changed in a way the ledger does not follow (deleted, shrunk): count afresh."""
    db.info.pop(LEDGER, None)


def known_usage(
    db: Session, *, event_id: uuid.UUID, session_ids: Collection[uuid.UUID], type_ids: Collection[uuid.UUID],
    now: datetime,
) -> tuple[datetime, dict[uuid.UUID, Usage], dict[uuid.UUID, Usage]] | None:
    """(as of, session usage, ticket-type usage) of the event's rows among the given locked
    ones, from the ledger; None unless every one of them is in it and it is recent."""
    ledger = _ledger(db)
    if ledger is None or not timedelta(0) <= now - ledger.now <= LEDGER_SKEW:
        return None
    out: list[dict[uuid.UUID, Usage]] = []
    for table, ids in ((EventSession.__tablename__, session_ids), (TicketType.__tablename__, type_ids)):
        figures = {}
        for row_id in ids:
            entry = ledger.rows.get((table, row_id))
            if entry is None:
                return None
            row, pending, held = entry
            if row.event_id == event_id:
                figures[row_id] = Usage(row.sold, pending, held)
        out.append(figures)
    return ledger.now, out[0], out[1]
