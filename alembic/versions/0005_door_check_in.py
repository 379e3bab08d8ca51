"""door check-in

Revision ID: 0005
Revises: 0006
Create Date: 2026-11-21 13:50:41.160207

Admissions (one per ticket and session, unique), the log of every scan (replays a re-sent nonce's
first answer), and conflicts found when offline scans sync. Chained after 0003 on this branch.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import ticketing.models.base


revision = '0005'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkin_conflicts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('ticket_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('holder_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('first_gate', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('first_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('second_gate', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('second_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkin_conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_conflicts_event_created', ['event_id', 'created_at'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('scan_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('gate', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('checked_in_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id', 'session_id', name='uq_checkin_ticket_session')
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_event_session', ['event_id', 'session_id'], unique=False)

    op.create_table('scans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('gate', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=True),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('scanned_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'nonce', name='uq_scan_event_nonce')
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index('ix_scans_event_created', ['event_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_event_created')

    op.drop_table('scans')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_event_session')

    op.drop_table('checkins')
    with op.batch_alter_table('checkin_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_conflicts_event_created')

    op.drop_table('checkin_conflicts')
