"""money columns as BIGINT

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 13:43:27.391745

32-bit prices were too tight for currencies with large numbers (10,000,000.00 IDR). SQLite's
INTEGER is already 64-bit, and a batch rebuild there would drop the CHECK constraints, so only
PostgreSQL changes.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COLUMNS = [
    ("hold_items", "unit_price_minor"),
    ("holds", "total_minor"),
    ("order_items", "unit_price_minor"),
    ("orders", "total_minor"),
    ("ticket_types", "price_minor"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
