"""scans: the nonce's unique index leads with the nonce

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 16:55:00

A scan's first query looks its nonce up in the event's log. With the unique index on
(event_id, nonce) the planner could serve that lookup with the history index on
(event_id, created_at) as well, filtering every scan of the event, and a prepared statement
planned while the table was nearly empty keeps that plan for as long as statistics are not
refreshed (bench/checkin.py: 7 ms per lookup at 20,000 scans). Leading with the nonce leaves
only this index for it.
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scans') as batch:
        batch.drop_constraint('uq_scan_event_nonce', type_='unique')
        batch.create_unique_constraint('uq_scan_nonce_event', ['nonce', 'event_id'])


def downgrade() -> None:
    with op.batch_alter_table('scans') as batch:
        batch.drop_constraint('uq_scan_nonce_event', type_='unique')
        batch.create_unique_constraint('uq_scan_event_nonce', ['event_id', 'nonce'])
