"""console: cover images, rooms, recurring schedules

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-21 14:07:42.294941

The organizer console: events get a cover image; rooms, recurring schedules and their
occurrences (one session + one drop-in ticket type per date, unique per schedule and date).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import ticketing.models.base


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rooms',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'name', name='uq_room_org_name')
    )
    op.create_index(op.f('ix_rooms_organization_id'), 'rooms', ['organization_id'], unique=False)
    op.create_table('schedules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('room_id', sa.Uuid(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('weekdays', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('start_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('end_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity >= 1', name='ck_schedule_capacity_pos'),
    sa.CheckConstraint('price_minor >= 0', name='ck_schedule_price_nonneg'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'name', name='uq_schedule_event_name')
    )
    op.create_index(op.f('ix_schedules_event_id'), 'schedules', ['event_id'], unique=False)
    op.create_index(op.f('ix_schedules_room_id'), 'schedules', ['room_id'], unique=False)
    op.create_table('schedule_occurrences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('schedule_id', sa.Uuid(), nullable=False),
    sa.Column('occurs_on', sa.Date(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_type_id', sa.Uuid(), nullable=True),
    sa.Column('overridden', sa.Boolean(), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('schedule_id', 'occurs_on', name='uq_occurrence_schedule_date'),
    sa.UniqueConstraint('session_id')
    )
    op.create_index(op.f('ix_schedule_occurrences_schedule_id'), 'schedule_occurrences', ['schedule_id'], unique=False)
    op.add_column('events', sa.Column('cover_image', sqlmodel.sql.sqltypes.AutoString(length=120), server_default='', nullable=False))


def downgrade() -> None:
    op.drop_column('events', 'cover_image')
    op.drop_index(op.f('ix_schedule_occurrences_schedule_id'), table_name='schedule_occurrences')
    op.drop_table('schedule_occurrences')
    op.drop_index(op.f('ix_schedules_room_id'), table_name='schedules')
    op.drop_index(op.f('ix_schedules_event_id'), table_name='schedules')
    op.drop_table('schedules')
    op.drop_index(op.f('ix_rooms_organization_id'), table_name='rooms')
    op.drop_table('rooms')
