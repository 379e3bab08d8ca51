"""ledger: a double-entry journal kept honest by the database, and its backfill

Revision ID: 0016_ledger
Revises: 0017_customer_pages
Create Date: 2026-12-06 22:34:11.965407

Lines are written before their entry (the entry_id foreign key is deferred). The database then:
- checks, when an entry is inserted, that it has lines and that they balance per currency
  (PostgreSQL: a deferred constraint trigger, run at commit; SQLite: a trigger on the insert,
  its lines being there already);
- refuses a line for an entry that already exists (an entry is closed once posted);
- refuses any UPDATE or DELETE of entries and lines: corrections are reversal entries.
The backfill posts a `payment` entry for every payment that succeeded and a `refund` entry for
every refund Stripe confirmed before the ledger existed (no fee: it was never read; the
reconciliation shows those payments as differing by their fee).
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel

import ticketing.models.base
from alembic import op

revision = '0016_ledger'
down_revision = '0017_customer_pages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('memo', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('source_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('stripe_ref', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('reverses_id', sa.Uuid(), nullable=True),
    sa.Column('at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('payment', 'stripe_fee', 'refund', 'fee_refund', 'purchase_order', 'supplier_payment', 'payout', 'reversal')", name='ck_ledger_entry_kind'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_org_at', ['organization_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_stripe_ref'), ['stripe_ref'], unique=False)
        batch_op.create_index('uq_ledger_entry_source', ['kind', 'source_type', 'source_id'], unique=True)

    op.create_table('ledger_reconciliations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('period_from', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('period_to', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ran_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('differences', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_reconciliations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_reconciliations_organization_id'), ['organization_id'], unique=False)

    op.create_table('ledger_lines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('debit_minor', sa.BigInteger(), nullable=False),
    sa.Column('credit_minor', sa.BigInteger(), nullable=False),
    sa.Column('at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("account IN ('stripe_balance', 'bank', 'ticket_revenue', 'discounts', 'refunds', 'stripe_fees', 'supplier_payable', 'inventory', 'cost_of_tickets')", name='ck_ledger_line_account'),
    sa.CheckConstraint('debit_minor >= 0 AND credit_minor >= 0 AND (debit_minor = 0 OR credit_minor = 0)', name='ck_ledger_line_one_side'),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_lines_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_lines_organization_id'), ['organization_id'], unique=False)

    bind = op.get_bind()
    for statement in (_PG if bind.dialect.name == "postgresql" else _SQLITE):
        op.execute(statement)
    _backfill(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in (_PG_DROP if bind.dialect.name == "postgresql" else _SQLITE_DROP):
        op.execute(statement)
    with op.batch_alter_table('ledger_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_lines_organization_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_lines_entry_id'))

    op.drop_table('ledger_lines')
    with op.batch_alter_table('ledger_reconciliations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_reconciliations_organization_id'))

    op.drop_table('ledger_reconciliations')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_ledger_entry_source')
        batch_op.drop_index(batch_op.f('ix_ledger_entries_stripe_ref'))
        batch_op.drop_index('ix_ledger_entries_org_at')
        batch_op.drop_index(batch_op.f('ix_ledger_entries_event_id'))

    op.drop_table('ledger_entries')


_REFUSE = "ledger entries and lines are append-only: post a reversal instead"

_PG = [
    """
CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger_lines WHERE entry_id = NEW.id) THEN
        RAISE EXCEPTION 'ledger entry % has no lines', NEW.id USING ERRCODE = '23514';
    END IF;
    SELECT currency INTO unbalanced FROM ledger_lines WHERE entry_id = NEW.id
        GROUP BY currency HAVING sum(debit_minor) <> sum(credit_minor) LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry % does not balance in %', NEW.id, unbalanced USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$""",
    """CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entries
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced()""",
    """
CREATE FUNCTION ledger_line_entry_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posted uuid;
BEGIN
    -- Once per statement (a posting writes all its lines in one): lines go in before their entry.
    SELECT e.id INTO posted FROM new_lines n JOIN ledger_entries e ON e.id = n.entry_id LIMIT 1;
    IF posted IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry % is posted: no line can be added', posted USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER ledger_line_entry_open AFTER INSERT ON ledger_lines
       REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_line_entry_open()""",
    f"""
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_REFUSE}' USING ERRCODE = '23514';
END $$""",
    """CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
    """CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
]
_PG_DROP = [
    "DROP TRIGGER IF EXISTS ledger_lines_append_only ON ledger_lines",
    "DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_line_entry_open ON ledger_lines",
    "DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entries",
    "DROP FUNCTION IF EXISTS ledger_append_only()",
    "DROP FUNCTION IF EXISTS ledger_line_entry_open()",
    "DROP FUNCTION IF EXISTS ledger_entry_balanced()",
]
_SQLITE = [
    """CREATE TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entries
       WHEN NOT EXISTS (SELECT 1 FROM ledger_lines WHERE entry_id = NEW.id)
         OR EXISTS (SELECT 1 FROM ledger_lines WHERE entry_id = NEW.id
                    GROUP BY currency HAVING sum(debit_minor) <> sum(credit_minor))
       BEGIN SELECT RAISE(ABORT, 'ledger entry does not balance'); END""",
    """CREATE TRIGGER ledger_line_entry_open BEFORE INSERT ON ledger_lines
       WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.entry_id)
       BEGIN SELECT RAISE(ABORT, 'ledger entry is posted: no line can be added'); END""",
    *(f"""CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table}
          BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"""
      for table in ("ledger_entries", "ledger_lines") for verb in ("update", "delete")),
]
_SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"
      for table in ("ledger_entries", "ledger_lines") for verb in ("update", "delete")),
    "DROP TRIGGER IF EXISTS ledger_line_entry_open",
    "DROP TRIGGER IF EXISTS ledger_entry_balanced",
]

# The backfill reads and writes through these table shapes (frozen here, not the app's models).
_utc = ticketing.models.base.UtcDateTime(timezone=True)
_entries = sa.table(
    "ledger_entries", sa.column("id", sa.Uuid()), sa.column("organization_id", sa.Uuid()),
    sa.column("event_id", sa.Uuid()), sa.column("kind", sa.String()), sa.column("memo", sa.String()),
    sa.column("source_type", sa.String()), sa.column("source_id", sa.String()), sa.column("cause", sa.String()),
    sa.column("stripe_ref", sa.String()), sa.column("reverses_id", sa.Uuid()), sa.column("at", _utc),
    sa.column("created_at", _utc))
_lines = sa.table(
    "ledger_lines", sa.column("id", sa.Uuid()), sa.column("entry_id", sa.Uuid()),
    sa.column("organization_id", sa.Uuid()), sa.column("account", sa.String()), sa.column("currency", sa.String()),
    sa.column("debit_minor", sa.BigInteger()), sa.column("credit_minor", sa.BigInteger()), sa.column("at", _utc))
_payments = sa.table("payments", sa.column("id", sa.String()), sa.column("order_id", sa.Uuid()),
                     sa.column("amount_minor", sa.BigInteger()), sa.column("currency", sa.String()),
                     sa.column("status", sa.String()), sa.column("updated_at", _utc))
_refunds = sa.table("refunds", sa.column("id", sa.Uuid()), sa.column("order_id", sa.Uuid()),
                    sa.column("amount_minor", sa.BigInteger()), sa.column("currency", sa.String()),
                    sa.column("status", sa.String()), sa.column("created_at", _utc), sa.column("completed_at", _utc))
_orders = sa.table("orders", sa.column("id", sa.Uuid()), sa.column("event_id", sa.Uuid()),
                   sa.column("number", sa.String()), sa.column("total_minor", sa.BigInteger()))
_items = sa.table("order_items", sa.column("order_id", sa.Uuid()), sa.column("quantity", sa.Integer()),
                  sa.column("unit_price_minor", sa.BigInteger()))
_events = sa.table("events", sa.column("id", sa.Uuid()), sa.column("organization_id", sa.Uuid()))


def _post(bind, *, org, event, kind, memo, source_type, source_id, at, lines) -> None:
    """Lines first, then the entry (the triggers check it balances)."""
    entry_id = uuid.uuid4()
    bind.execute(sa.insert(_lines), [
        {"id": uuid.uuid4(), "entry_id": entry_id, "organization_id": org, "account": account, "currency": currency,
         "debit_minor": debit, "credit_minor": credit, "at": at}
        for account, currency, debit, credit in lines])
    bind.execute(sa.insert(_entries).values(
        id=entry_id, organization_id=org, event_id=event, kind=kind, memo=memo, source_type=source_type,
        source_id=source_id, cause="backfill", stripe_ref=None, reverses_id=None, at=at,
        created_at=datetime.now(UTC)))


def _backfill(bind) -> None:
    gross_of = sa.select(sa.func.coalesce(sa.func.sum(_items.c.quantity * _items.c.unit_price_minor), 0)) \
        .where(_items.c.order_id == _orders.c.id).scalar_subquery()
    paid = bind.execute(
        sa.select(_payments.c.id, _payments.c.amount_minor, _payments.c.currency, _payments.c.updated_at,
                  _orders.c.event_id, _orders.c.number, _orders.c.total_minor, gross_of.label("gross"),
                  _events.c.organization_id)
        .join(_orders, _orders.c.id == _payments.c.order_id).join(_events, _events.c.id == _orders.c.event_id)
        .where(_payments.c.status == "succeeded").order_by(_payments.c.updated_at, _payments.c.id)).all()
    for p in paid:
        # Same rule as services/ledger/postings.py: the list price is revenue, the rest a discount.
        gross = p.gross if p.amount_minor == p.total_minor and p.gross > p.amount_minor else p.amount_minor
        lines = [("stripe_balance", p.currency, p.amount_minor, 0), ("ticket_revenue", p.currency, 0, gross)]
        if gross > p.amount_minor:
            lines.append(("discounts", p.currency, gross - p.amount_minor, 0))
        _post(bind, org=p.organization_id, event=p.event_id, kind="payment", memo=f"Payment of {p.number} (backfill)",
              source_type="payment", source_id=p.id, at=p.updated_at, lines=lines)
    refunded = bind.execute(
        sa.select(_refunds.c.id, _refunds.c.amount_minor, _refunds.c.currency, _refunds.c.created_at,
                  _refunds.c.completed_at, _orders.c.event_id, _orders.c.number, _events.c.organization_id)
        .join(_orders, _orders.c.id == _refunds.c.order_id).join(_events, _events.c.id == _orders.c.event_id)
        .where(_refunds.c.status == "succeeded").order_by(_refunds.c.created_at, _refunds.c.id)).all()
    for r in refunded:
        _post(bind, org=r.organization_id, event=r.event_id, kind="refund", memo=f"Refund on {r.number} (backfill)",
              source_type="refund", source_id=str(r.id), at=r.completed_at or r.created_at,
              lines=[("refunds", r.currency, r.amount_minor, 0), ("stripe_balance", r.currency, 0, r.amount_minor)])
