"""claim counters: places claimed per session and quota, kept by the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 19:10:00

A hold used to recount the live claims of every session it takes under that session's lock:
O(live holds) work inside the one critical section every buyer of a hot session queues on.
Now triggers on place_claims keep `claimed_held` / `claimed_pending` on sessions and ticket
types equal to the sum of their existing claims (expired or not), whatever statement writes
them: inserts, deletes, cascades, quantity changes. Since claims only ever stop counting (at
expiry) and are deleted later, capacity - sold - claimed is a lower bound of the free places,
exact once expired claims are gone: enough to grant a hold with one locked read
(services/sales/hold_store.py); a refusal goes through the exact locked recount.

`revision` on ticket types changes with every change of what a sale is decided on (price,
currency, sale window, active flag, quota, per-order limits, included sessions, and their
sessions' prerequisites and seating), so a hold validated on facts read earlier can see under
its locks that nothing moved.

One active hold per buyer and event was a rule checked under the buyer's row lock; a partial
unique index now makes the database refuse a second one.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_CATALOG_COLUMNS = ("price_minor", "currency", "is_active", "sale_starts_at", "sale_ends_at", "max_quantity",
                    "min_per_order", "max_per_order", "event_id")

# PostgreSQL: one function per table does the counting for every kind of change.
_PG_COUNT = """
CREATE FUNCTION place_claims_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.session_id IS NOT NULL THEN
            UPDATE sessions SET
                claimed_held = claimed_held - CASE WHEN OLD.order_id IS NULL THEN OLD.quantity ELSE 0 END,
                claimed_pending = claimed_pending - CASE WHEN OLD.order_id IS NULL THEN 0 ELSE OLD.quantity END
            WHERE id = OLD.session_id;
        ELSE
            UPDATE ticket_types SET
                claimed_held = claimed_held - CASE WHEN OLD.order_id IS NULL THEN OLD.quantity ELSE 0 END,
                claimed_pending = claimed_pending - CASE WHEN OLD.order_id IS NULL THEN 0 ELSE OLD.quantity END
            WHERE id = OLD.ticket_type_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.session_id IS NOT NULL THEN
            UPDATE sessions SET
                claimed_held = claimed_held + CASE WHEN NEW.order_id IS NULL THEN NEW.quantity ELSE 0 END,
                claimed_pending = claimed_pending + CASE WHEN NEW.order_id IS NULL THEN 0 ELSE NEW.quantity END
            WHERE id = NEW.session_id;
        ELSE
            UPDATE ticket_types SET
                claimed_held = claimed_held + CASE WHEN NEW.order_id IS NULL THEN NEW.quantity ELSE 0 END,
                claimed_pending = claimed_pending + CASE WHEN NEW.order_id IS NULL THEN 0 ELSE NEW.quantity END
            WHERE id = NEW.ticket_type_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER place_claims_count AFTER INSERT OR UPDATE OR DELETE ON place_claims
    FOR EACH ROW EXECUTE FUNCTION place_claims_count();

CREATE FUNCTION ticket_types_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END $$;
CREATE TRIGGER ticket_types_revision BEFORE UPDATE ON ticket_types FOR EACH ROW
    WHEN ((OLD.{cols}) IS DISTINCT FROM (NEW.{cols2}))
    EXECUTE FUNCTION ticket_types_revision();

CREATE FUNCTION ticket_type_sessions_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_types SET revision = revision + 1
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.ticket_type_id ELSE NEW.ticket_type_id END;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_type_sessions_revision AFTER INSERT OR UPDATE OR DELETE ON ticket_type_sessions
    FOR EACH ROW EXECUTE FUNCTION ticket_type_sessions_revision();

-- A session gaining or losing prerequisites or seats changes how every ticket type including
-- it is sold.
CREATE FUNCTION session_rules_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_types SET revision = revision + 1
    WHERE id IN (SELECT ticket_type_id FROM ticket_type_sessions
                 WHERE session_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.session_id ELSE NEW.session_id END);
    RETURN NULL;
END $$;
CREATE TRIGGER session_prerequisites_revision AFTER INSERT OR UPDATE OR DELETE ON session_prerequisites
    FOR EACH ROW EXECUTE FUNCTION session_rules_revision();
CREATE TRIGGER seated_sessions_revision AFTER INSERT OR DELETE ON seated_sessions
    FOR EACH ROW EXECUTE FUNCTION session_rules_revision();
""".replace("{cols}", ", OLD.".join(_CATALOG_COLUMNS)).replace("{cols2}", ", NEW.".join(_CATALOG_COLUMNS))

_PG_DROP = """
DROP TRIGGER IF EXISTS place_claims_count ON place_claims;
DROP FUNCTION IF EXISTS place_claims_count();
DROP TRIGGER IF EXISTS ticket_types_revision ON ticket_types;
DROP FUNCTION IF EXISTS ticket_types_revision();
DROP TRIGGER IF EXISTS ticket_type_sessions_revision ON ticket_type_sessions;
DROP FUNCTION IF EXISTS ticket_type_sessions_revision();
DROP TRIGGER IF EXISTS session_prerequisites_revision ON session_prerequisites;
DROP TRIGGER IF EXISTS seated_sessions_revision ON seated_sessions;
DROP FUNCTION IF EXISTS session_rules_revision();
"""


def _sqlite_count(row: str, sign: str) -> str:
    """The statements adding (sign +) or removing (sign -) claim `row` (NEW or OLD)."""
    held = f"CASE WHEN {row}.order_id IS NULL THEN {row}.quantity ELSE 0 END"
    pending = f"CASE WHEN {row}.order_id IS NULL THEN 0 ELSE {row}.quantity END"
    return "".join(
        f"UPDATE {table} SET claimed_held = claimed_held {sign} {held}, "
        f"claimed_pending = claimed_pending {sign} {pending} WHERE id = {row}.{column};\n"
        for table, column in (("sessions", "session_id"), ("ticket_types", "ticket_type_id"))
    )


_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER place_claims_count_insert AFTER INSERT ON place_claims BEGIN\n{_sqlite_count('NEW', '+')}END",
    f"CREATE TRIGGER place_claims_count_delete AFTER DELETE ON place_claims BEGIN\n{_sqlite_count('OLD', '-')}END",
    f"CREATE TRIGGER place_claims_count_update AFTER UPDATE ON place_claims BEGIN\n"
    f"{_sqlite_count('OLD', '-')}{_sqlite_count('NEW', '+')}END",
    "CREATE TRIGGER ticket_types_revision AFTER UPDATE OF " + ", ".join(_CATALOG_COLUMNS) + " ON ticket_types "
    "BEGIN UPDATE ticket_types SET revision = revision + 1 WHERE id = NEW.id; END",
    "CREATE TRIGGER ticket_type_sessions_revision_insert AFTER INSERT ON ticket_type_sessions "
    "BEGIN UPDATE ticket_types SET revision = revision + 1 WHERE id = NEW.ticket_type_id; END",
    "CREATE TRIGGER ticket_type_sessions_revision_delete AFTER DELETE ON ticket_type_sessions "
    "BEGIN UPDATE ticket_types SET revision = revision + 1 WHERE id = OLD.ticket_type_id; END",
    *(f"CREATE TRIGGER {table}_revision_{op} AFTER {op.upper()} ON {table} BEGIN UPDATE ticket_types "
      f"SET revision = revision + 1 WHERE id IN (SELECT ticket_type_id FROM ticket_type_sessions "
      f"WHERE session_id = {row}.session_id); END"
      for table in ("session_prerequisites", "seated_sessions") for op, row in (("insert", "NEW"), ("delete", "OLD"))),
]
_SQLITE_TRIGGER_NAMES = ["place_claims_count_insert", "place_claims_count_delete", "place_claims_count_update",
                         "ticket_types_revision", "ticket_type_sessions_revision_insert",
                         "ticket_type_sessions_revision_delete",
                         *(f"{table}_revision_{op}" for table in ("session_prerequisites", "seated_sessions")
                           for op in ("insert", "delete"))]


def _backfill(table: str, column: str) -> str:
    return (
        f"UPDATE {table} SET "
        f"claimed_held = COALESCE((SELECT SUM(quantity) FROM place_claims c "
        f"WHERE c.{column} = {table}.id AND c.order_id IS NULL), 0), "
        f"claimed_pending = COALESCE((SELECT SUM(quantity) FROM place_claims c "
        f"WHERE c.{column} = {table}.id AND c.order_id IS NOT NULL), 0)"
    )


def upgrade() -> None:
    for table in ("sessions", "ticket_types"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('claimed_held', sa.Integer(), nullable=False, server_default='0'))
            batch.add_column(sa.Column('claimed_pending', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('ticket_types') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
    op.execute(_backfill("sessions", "session_id"))
    op.execute(_backfill("ticket_types", "ticket_type_id"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_COUNT)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    # Older duplicates (none are expected: the rule was kept under the buyer's lock) step aside.
    op.execute(
        "UPDATE holds SET status = 'released' WHERE status = 'active' AND EXISTS ("
        "SELECT 1 FROM holds h2 WHERE h2.user_id = holds.user_id AND h2.event_id = holds.event_id "
        "AND h2.status = 'active' AND (h2.created_at > holds.created_at "
        "OR (h2.created_at = holds.created_at AND h2.id > holds.id)))"
    )
    op.create_index('uq_holds_one_active', 'holds', ['user_id', 'event_id'], unique=True,
                    postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index('uq_holds_one_active', table_name='holds')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_DROP)
    else:
        for name in _SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('ticket_types') as batch:
        batch.drop_column('revision')
    for table in ("sessions", "ticket_types"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('claimed_pending')
            batch.drop_column('claimed_held')
