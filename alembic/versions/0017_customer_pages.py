"""customer pages: names per ticket (event setting), short ticket codes typed at the door

Revision ID: 0017_customer_pages
Revises: 0014_promotions
Create Date: 2026-12-06 23:00:00

events.attendee_names: "auto" (ask a name per ticket when the event has several sessions or is
seated), "on" or "off". tickets.short_code: ten characters from an unambiguous alphabet, unique
within the event, typed at the door instead of the long signed code; existing tickets get one.
"""
import secrets

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0017_customer_pages'
down_revision = '0014_promotions'
branch_labels = None
depends_on = None

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as ticketing.services.door.short_codes (no 0 O 1 I L)


def upgrade() -> None:
    op.add_column('events', sa.Column('attendee_names', sqlmodel.sql.sqltypes.AutoString(length=8),
                                      server_default='auto', nullable=False))
    op.add_column('tickets', sa.Column('short_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
    tickets = sa.table('tickets', sa.column('id', sa.Uuid()), sa.column('short_code', sa.String()))
    conn = op.get_bind()
    for (ticket_id,) in conn.execute(sa.select(tickets.c.id)).all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(10))
        conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(short_code=code))
    op.create_index('uq_tickets_event_short_code', 'tickets', ['event_id', 'short_code'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_tickets_event_short_code', table_name='tickets')
    op.drop_column('tickets', 'short_code')
    op.drop_column('events', 'attendee_names')
