"""promotions: promo codes and redemptions

A promo code per event (matched case-insensitively through code_key), its redemptions (counted
like place claims: only while expires_at > now), and the discount locked on holds, orders and
their lines.

Revision ID: 0014_promotions
Revises: 0013_jobs
Create Date: 2026-12-06 22:34:00.698369
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import ticketing.models.base


revision = '0014_promotions'
down_revision = '0013_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promo_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('code_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('buy_quantity', sa.Integer(), nullable=True),
    sa.Column('get_quantity', sa.Integer(), nullable=True),
    sa.Column('ticket_type_ids', sa.JSON(), nullable=True),
    sa.Column('price_level_ids', sa.JSON(), nullable=True),
    sa.Column('starts_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('max_uses_per_customer', sa.Integer(), nullable=True),
    sa.Column('min_tickets', sa.Integer(), nullable=False),
    sa.Column('batch', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('claimed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('revision', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'code_key', name='uq_promo_code_event_key')
    )
    op.create_index(op.f('ix_promo_codes_event_id'), 'promo_codes', ['event_id'], unique=False)
    op.create_table('promo_redemptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('promo_code_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('hold_id', sa.Uuid(), nullable=True),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('discount_minor', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promo_code_id'], ['promo_codes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_promo_redemptions_hold_id'), 'promo_redemptions', ['hold_id'], unique=False)
    op.create_index(op.f('ix_promo_redemptions_order_id'), 'promo_redemptions', ['order_id'], unique=False)
    op.create_index('ix_redemptions_code_expires', 'promo_redemptions', ['promo_code_id', 'expires_at'], unique=False)
    op.create_index('ix_redemptions_code_user', 'promo_redemptions', ['promo_code_id', 'user_id'], unique=False)
    op.add_column('hold_items', sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False))
    op.add_column('order_items', sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False))
    for table in ('holds', 'orders'):
        op.add_column(table, sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False))
        if op.get_bind().dialect.name == 'sqlite':
            # The foreign key inline with its column: SQLite can add it so without rebuilding
            # the table (a rebuild would lose the partial unique index on active holds).
            op.execute(f'ALTER TABLE {table} ADD COLUMN promo_code_id CHAR(32) REFERENCES promo_codes (id)')
        else:
            op.add_column(table, sa.Column('promo_code_id', sa.Uuid(), nullable=True))
            op.create_foreign_key(f'fk_{table}_promo_code_id', table, 'promo_codes', ['promo_code_id'], ['id'])
    for statement in _PG_TRIGGERS if op.get_bind().dialect.name == 'postgresql' else _SQLITE_TRIGGERS:
        op.execute(statement)


# promo_codes.claimed = the number of the code's redemption rows (expired ones included until
# deleted), for the holds taken on the claim counters (holds.py, hold_store.py).
_PG_TRIGGERS = ["""
CREATE FUNCTION promo_redemptions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE promo_codes SET claimed = claimed + 1 WHERE id = NEW.promo_code_id;
    ELSE
        UPDATE promo_codes SET claimed = claimed - 1 WHERE id = OLD.promo_code_id;
    END IF;
    RETURN NULL;
END $$""", """
CREATE TRIGGER promo_redemptions_count AFTER INSERT OR DELETE ON promo_redemptions
    FOR EACH ROW EXECUTE FUNCTION promo_redemptions_count()"""]
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER promo_redemptions_count_insert AFTER INSERT ON promo_redemptions "
    "BEGIN UPDATE promo_codes SET claimed = claimed + 1 WHERE id = NEW.promo_code_id; END",
    "CREATE TRIGGER promo_redemptions_count_delete AFTER DELETE ON promo_redemptions "
    "BEGIN UPDATE promo_codes SET claimed = claimed - 1 WHERE id = OLD.promo_code_id; END",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS promo_redemptions_count ON promo_redemptions')
        op.execute('DROP FUNCTION IF EXISTS promo_redemptions_count()')
    for table in ('orders', 'holds'):
        if op.get_bind().dialect.name != 'sqlite':
            op.drop_constraint(f'fk_{table}_promo_code_id', table, type_='foreignkey')
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('promo_code_id')
            batch_op.drop_column('discount_minor')
    op.drop_column('order_items', 'discount_minor')
    op.drop_column('hold_items', 'discount_minor')
    op.drop_index('ix_redemptions_code_user', table_name='promo_redemptions')
    op.drop_index('ix_redemptions_code_expires', table_name='promo_redemptions')
    op.drop_index(op.f('ix_promo_redemptions_order_id'), table_name='promo_redemptions')
    op.drop_index(op.f('ix_promo_redemptions_hold_id'), table_name='promo_redemptions')
    op.drop_table('promo_redemptions')
    op.drop_index(op.f('ix_promo_codes_event_id'), table_name='promo_codes')
    op.drop_table('promo_codes')
