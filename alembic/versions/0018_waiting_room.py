"""waiting room: per-event room settings and pacing clock, and the database queue store

Revision ID: 0018_waiting_room
Revises: 0016_ledger
Create Date: 2026-12-07 02:00:00

waiting_rooms: one row per event that has had a room (on/off, automatic switch-on allowed,
admission rate, on-sale moment, the pacing clock). waiting_room_entries: the queue's places when
it lives in the database (no REDIS_URL); with Redis the queue is a sorted set and this stays empty.
"""
import sqlalchemy as sa

import ticketing.models.base
from alembic import op

revision = '0018_waiting_room'
down_revision = '0016_ledger'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'waiting_rooms',
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('auto', sa.Boolean(), nullable=False),
        sa.Column('auto_started', sa.Boolean(), nullable=False),
        sa.Column('rate_per_minute', sa.Integer(), nullable=False),
        sa.Column('opens_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('paced_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_surge_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column('admitted_total', sa.Integer(), nullable=False),
        sa.Column('updated_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id'),
    )
    op.create_table(
        'waiting_room_entries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('joined_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('seen_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('admitted_until', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'user_id', name='uq_waiting_room_entry'),
    )
    op.create_index('ix_waiting_room_entries_queue', 'waiting_room_entries',
                    ['event_id', 'admitted_until', 'score'])
    op.create_index('ix_waiting_room_entries_seen', 'waiting_room_entries', ['event_id', 'seen_at'])


def downgrade() -> None:
    op.drop_index('ix_waiting_room_entries_seen', table_name='waiting_room_entries')
    op.drop_index('ix_waiting_room_entries_queue', table_name='waiting_room_entries')
    op.drop_table('waiting_room_entries')
    op.drop_table('waiting_rooms')
