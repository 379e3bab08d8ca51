"""claim counters: a claim that stays on its row changes the counters in one update

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 00:15:00

A checkout moves its claims from the hold to the order (held to pending). The counting trigger
of 0009 took every UPDATE as a delete and an insert: two UPDATEs of the session's (or quota's)
row, two new versions of the hottest row of an on-sale, each waited on by every other buyer.
When the claim stays on the same session or ticket type, one UPDATE now applies the net change,
and none when nothing counted changed (a new deadline only). Other changes count as before.
PostgreSQL only: SQLite's triggers are unchanged (no concurrent writers there).
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_HELD = "CASE WHEN {row}.order_id IS NULL THEN {row}.quantity ELSE 0 END"
_PENDING = "CASE WHEN {row}.order_id IS NULL THEN 0 ELSE {row}.quantity END"


def _apply(row: str, sign: str) -> str:
    held, pending = _HELD.format(row=row), _PENDING.format(row=row)
    return f"""
        IF {row}.session_id IS NOT NULL THEN
            UPDATE sessions SET claimed_held = claimed_held {sign} {held},
                                claimed_pending = claimed_pending {sign} {pending}
            WHERE id = {row}.session_id;
        ELSE
            UPDATE ticket_types SET claimed_held = claimed_held {sign} {held},
                                    claimed_pending = claimed_pending {sign} {pending}
            WHERE id = {row}.ticket_type_id;
        END IF;"""


# Every other change: the old row's claim taken off, the new row's put on.
_AS_DELETE_AND_INSERT = f"""
    IF TG_OP <> 'INSERT' THEN{_apply('OLD', '-')}
    END IF;
    IF TG_OP <> 'DELETE' THEN{_apply('NEW', '+')}
    END IF;
    RETURN NULL;"""

_MOVE_ON_ITS_ROW = f"""
    IF TG_OP = 'UPDATE' AND OLD.session_id IS NOT DISTINCT FROM NEW.session_id
            AND OLD.ticket_type_id IS NOT DISTINCT FROM NEW.ticket_type_id THEN
        held_change := {_HELD.format(row='NEW')} - {_HELD.format(row='OLD')};
        pending_change := {_PENDING.format(row='NEW')} - {_PENDING.format(row='OLD')};
        IF held_change = 0 AND pending_change = 0 THEN
            RETURN NULL;
        END IF;
        IF NEW.session_id IS NOT NULL THEN
            UPDATE sessions SET claimed_held = claimed_held + held_change,
                                claimed_pending = claimed_pending + pending_change
            WHERE id = NEW.session_id;
        ELSE
            UPDATE ticket_types SET claimed_held = claimed_held + held_change,
                                    claimed_pending = claimed_pending + pending_change
            WHERE id = NEW.ticket_type_id;
        END IF;
        RETURN NULL;
    END IF;"""


def _function(body: str, declare: str = "") -> str:
    return ("CREATE OR REPLACE FUNCTION place_claims_count() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"{declare}BEGIN{body}\nEND $$;")


_PG_COUNT = _function(_MOVE_ON_ITS_ROW + _AS_DELETE_AND_INSERT,
                      declare="DECLARE\n    held_change int;\n    pending_change int;\n")
_PG_COUNT_0009 = _function(_AS_DELETE_AND_INSERT)  # 0009's: every UPDATE as a delete and an insert


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_COUNT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_COUNT_0009)
