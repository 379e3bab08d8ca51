"""Posting journal entries: balanced per currency, once per source object, never edited.

The database enforces the same rules (migration 0016_ledger); the checks here give a clear
error before a statement is sent. Lines go in before their entry: the entry's insert is where the
database checks that they balance.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from ticketing.models import LedgerEntry, LedgerLine
from ticketing.models.base import utcnow
from ticketing.models.ledger import ACCOUNT_NAMES, KIND_NAMES, EntryKind
from ticketing.services.errors import ServiceError


@dataclass(frozen=True)
class Line:
    """One side of an entry: a debit or a credit in one account, in minor units."""

    account: str
    currency: str
    debit: int = 0
    credit: int = 0


def debit(account: str, currency: str, amount: int) -> Line:
    return Line(account, currency, debit=amount)


def credit(account: str, currency: str, amount: int) -> Line:
    return Line(account, currency, credit=amount)


def check_lines(lines: Sequence[Line]) -> list[Line]:
    """The lines worth writing (zero lines dropped), refused unless they balance per currency."""
    kept = [line for line in lines if line.debit or line.credit]
    totals: dict[str, int] = defaultdict(int)
    for line in kept:
        if line.account not in ACCOUNT_NAMES:
            raise ServiceError("unknown_account", f"{line.account!r} is not a ledger account.")
        if line.debit < 0 or line.credit < 0 or (line.debit and line.credit):
            raise ServiceError("invalid_line", "A line is a debit or a credit, never negative.")
        totals[line.currency] += line.debit - line.credit
    if not kept:
        raise ServiceError("empty_entry", "A journal entry needs at least one non-zero line.")
    unbalanced = sorted(c for c, total in totals.items() if total)
    if unbalanced:
        raise ServiceError("unbalanced_entry", f"The entry does not balance in {', '.join(unbalanced)}.")
    return kept


def find_entry(db: Session, *, kind: str, source_type: str, source_id: str) -> LedgerEntry | None:
    return db.exec(select(LedgerEntry).where(LedgerEntry.kind == kind, LedgerEntry.source_type == source_type,
                                             LedgerEntry.source_id == source_id)).first()


def posted_kinds(db: Session, *, source_type: str, source_id: str) -> set[str]:
    """The kinds of entry this source object has posted already (one indexed read)."""
    return set(db.exec(select(LedgerEntry.kind).where(LedgerEntry.source_type == source_type,
                                                      LedgerEntry.source_id == source_id)).all())


@dataclass(frozen=True)
class EntrySpec:
    """One entry to post: who, what, why, and its lines."""

    organization_id: uuid.UUID
    event_id: uuid.UUID | None
    kind: str
    memo: str
    source_type: str
    source_id: str
    cause: str
    at: datetime
    lines: Sequence[Line]
    stripe_ref: str | None = None
    reverses_id: uuid.UUID | None = None


def write_entries(db: Session, specs: Sequence[EntrySpec]) -> list[uuid.UUID]:
    """Write entries the caller checked are not posted yet: every line in one statement, then
    every entry in one (the database checks each balances at commit)."""
    rows, lines = [], []
    for spec in specs:
        if spec.kind not in KIND_NAMES:
            raise ServiceError("unknown_kind", f"{spec.kind!r} is not a kind of journal entry.")
        entry_id = uuid.uuid4()
        lines += [{"id": uuid.uuid4(), "entry_id": entry_id, "organization_id": spec.organization_id,
                   "account": x.account, "currency": x.currency, "debit_minor": x.debit, "credit_minor": x.credit,
                   "at": spec.at} for x in check_lines(spec.lines)]
        rows.append({"id": entry_id, "organization_id": spec.organization_id, "event_id": spec.event_id,
                     "kind": spec.kind, "memo": spec.memo[:500], "source_type": spec.source_type,
                     "source_id": spec.source_id[:255], "cause": spec.cause[:255], "stripe_ref": spec.stripe_ref,
                     "reverses_id": spec.reverses_id, "at": spec.at, "created_at": utcnow()})
    if rows:
        # Plain Core statements on the session's connection (same transaction): the ORM's bulk
        # insert machinery cost more CPU than the rows themselves on the paying path.
        conn = db.connection()
        conn.execute(insert(LedgerLine.__table__), lines)  # type: ignore[attr-defined]
        conn.execute(insert(LedgerEntry.__table__), rows)  # type: ignore[attr-defined]
    return [r["id"] for r in rows]


def post_entry(
    *, db: Session, organization_id: uuid.UUID, event_id: uuid.UUID | None, kind: str, memo: str,
    source_type: str, source_id: str, cause: str, at: datetime, lines: Sequence[Line],
    stripe_ref: str | None = None, reverses_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Post one entry in the caller's transaction; None when this source already posted this kind
    (a replayed webhook, a retried request): nothing is ever posted twice.

    Callers hold the lock of the source row (payment, refund), so the look-up is exact; the unique
    index on (kind, source_type, source_id) is the database's backstop.
    """
    spec = EntrySpec(organization_id, event_id, kind, memo, source_type, source_id, cause, at, lines, stripe_ref,
                     reverses_id)
    if kind not in KIND_NAMES:
        raise ServiceError("unknown_kind", f"{kind!r} is not a kind of journal entry.")
    check_lines(lines)
    if find_entry(db, kind=kind, source_type=source_type, source_id=source_id) is not None:
        return None
    return write_entries(db, [spec])[0]


def reverse_entry(*, db: Session, entry_id: uuid.UUID, cause: str, memo: str, at: datetime) -> uuid.UUID | None:
    """Correct a posted entry the only way the ledger allows: an entry with every line swapped.
    None when it was reversed before."""
    entry = db.get(LedgerEntry, entry_id)
    if entry is None:
        raise ServiceError("not_found", "No such journal entry.", status=404)
    if entry.kind == EntryKind.reversal.value:
        raise ServiceError("not_reversible", "A reversal is not reversed; post the entry again instead.")
    lines = db.exec(select(LedgerLine).where(LedgerLine.entry_id == entry.id)).all()
    swapped = [Line(x.account, x.currency, debit=x.credit_minor, credit=x.debit_minor) for x in lines]
    return post_entry(db=db, organization_id=entry.organization_id, event_id=entry.event_id,
                      kind=EntryKind.reversal.value, memo=memo or f"Reversal of {entry.kind} {entry.source_id}",
                      source_type="entry", source_id=str(entry.id), cause=cause, at=at, lines=swapped,
                      stripe_ref=entry.stripe_ref, reverses_id=entry.id)
