"""presales: presales, their access codes and the codes' uses

A presale reserves a block of an event (ticket types, a quota, seats) to holders of its access
codes during its window; a use counts like a place claim, only while expires_at > now.

Revision ID: 0019_presales
Revises: 0018_waiting_room
"""
import sqlalchemy as sa
import sqlmodel

import ticketing.models.base
from alembic import op

revision = '0019_presales'
down_revision = '0018_waiting_room'
branch_labels = None
depends_on = None

_TIME = ticketing.models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('presales',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('starts_at', _TIME, nullable=False),
    sa.Column('ends_at', _TIME, nullable=False),
    sa.Column('ticket_type_ids', sa.JSON(), nullable=True),
    sa.Column('seat_ids', sa.JSON(), nullable=True),
    sa.Column('quota', sa.Integer(), nullable=True),
    sa.Column('release_at_end', sa.Boolean(), nullable=False),
    sa.Column('created_at', _TIME, nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_presales_event_id'), 'presales', ['event_id'], unique=False)
    op.create_table('presale_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('presale_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('code_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=False),
    sa.Column('created_at', _TIME, nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['presale_id'], ['presales.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'code_key', name='uq_presale_code_event_key')
    )
    op.create_index(op.f('ix_presale_codes_presale_id'), 'presale_codes', ['presale_id'], unique=False)
    op.create_table('presale_uses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('presale_id', sa.Uuid(), nullable=False),
    sa.Column('code_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('hold_id', sa.Uuid(), nullable=True),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('expires_at', _TIME, nullable=False),
    sa.Column('created_at', _TIME, nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['presale_codes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['presale_id'], ['presales.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_presale_uses_code_id'), 'presale_uses', ['code_id'], unique=False)
    op.create_index(op.f('ix_presale_uses_hold_id'), 'presale_uses', ['hold_id'], unique=False)
    op.create_index(op.f('ix_presale_uses_order_id'), 'presale_uses', ['order_id'], unique=False)
    op.create_index('ix_presale_uses_presale_expires', 'presale_uses', ['presale_id', 'expires_at'], unique=False)


def downgrade() -> None:
    op.drop_table('presale_uses')
    op.drop_table('presale_codes')
    op.drop_index(op.f('ix_presales_event_id'), table_name='presales')
    op.drop_table('presales')
