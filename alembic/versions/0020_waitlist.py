"""waiting lists: entries per ticket type with their offers, closed lists, the event's offer time

Revision ID: 0020_waitlist
Revises: 0019_presales
Create Date: 2026-12-07 02:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from ticketing.models.base import UtcDateTime


revision = '0020_waitlist'
down_revision = '0019_presales'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('events', sa.Column('offer_minutes', sa.Integer(), server_default='30', nullable=False))
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('ticket_type_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('hold_id', sa.Uuid(), nullable=True),
        sa.Column('offer_expires_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('offers', sa.Integer(), nullable=False),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_waitlist_quantity_pos'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_waitlist_entries_event_id', 'waitlist_entries', ['event_id'])
    op.create_index('ix_waitlist_entries_user_id', 'waitlist_entries', ['user_id'])
    live = sa.text("status IN ('waiting', 'offered')")
    op.create_index('uq_waitlist_one_live', 'waitlist_entries', ['user_id', 'ticket_type_id'], unique=True,
                    postgresql_where=live, sqlite_where=live)
    waiting = sa.text("status = 'waiting'")
    op.create_index('ix_waitlist_waiting', 'waitlist_entries', ['ticket_type_id', 'created_at'],
                    postgresql_where=waiting, sqlite_where=waiting)
    op.create_table(
        'waitlist_closures',
        sa.Column('ticket_type_id', sa.Uuid(), nullable=False),
        sa.Column('closed_at', UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ticket_type_id'),
    )


def downgrade() -> None:
    op.drop_table('waitlist_closures')
    op.drop_index('ix_waitlist_waiting', table_name='waitlist_entries')
    op.drop_index('uq_waitlist_one_live', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_entries_user_id', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_entries_event_id', table_name='waitlist_entries')
    op.drop_table('waitlist_entries')
    op.drop_column('events', 'offer_minutes')
