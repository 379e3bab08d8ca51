"""broker mode: suppliers, purchase orders, owned seats, supplier payments, retail rules, ticket sales

Revision ID: 0015_broker
Revises: 0010
Create Date: 2026-12-06 22:34:41.043240

Seed 002's agency: an event in broker mode (`broker_events`) sells only what purchase orders
made owned inventory; `owned_seats` records supplier, line and unit cost per seat (one row per
event seat, so a seat is never owned twice); `ticket_sales` keeps each ticket's cost, retail
price, discount, fees and margin as they were when it sold.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import ticketing.models.base


revision = '0015_broker'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('purchase_order_counters',
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id')
    )
    op.create_table('suppliers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False),
    sa.Column('credit_limit_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('event_organizer', 'venue_owner', 'promoter', 'production_company')", name='ck_supplier_kind'),
    sa.CheckConstraint('payment_terms_days >= 0', name='ck_supplier_terms_nonneg'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'name', name='uq_supplier_org_name')
    )
    op.create_index(op.f('ix_suppliers_organization_id'), 'suppliers', ['organization_id'], unique=False)
    op.create_table('broker_events',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('enabled_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('purchase_orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('supplier_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('fulfillment_method', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('fulfillment_notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.Column('total_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('returned_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('submitted_by', sa.Uuid(), nullable=True),
    sa.Column('approved_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('approved_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'confirmed', 'partially_received', 'completed', 'cancelled')", name='ck_purchase_order_status'),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'number', name='uq_purchase_order_org_number')
    )
    op.create_index(op.f('ix_purchase_orders_event_id'), 'purchase_orders', ['event_id'], unique=False)
    op.create_index(op.f('ix_purchase_orders_organization_id'), 'purchase_orders', ['organization_id'], unique=False)
    op.create_index(op.f('ix_purchase_orders_status'), 'purchase_orders', ['status'], unique=False)
    op.create_index(op.f('ix_purchase_orders_supplier_id'), 'purchase_orders', ['supplier_id'], unique=False)
    op.create_table('purchase_order_lines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('purchase_order_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('ticket_type_id', sa.Uuid(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.Column('returned_quantity', sa.Integer(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.CheckConstraint('(session_id IS NULL) <> (ticket_type_id IS NULL)', name='ck_po_line_one_kind'),
    sa.CheckConstraint('quantity > 0', name='ck_po_line_quantity_pos'),
    sa.CheckConstraint('received_quantity >= 0 AND received_quantity <= quantity', name='ck_po_line_received'),
    sa.CheckConstraint('returned_quantity >= 0 AND returned_quantity <= quantity', name='ck_po_line_returned'),
    sa.CheckConstraint('unit_cost_minor >= 0', name='ck_po_line_cost_nonneg'),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_purchase_order_lines_purchase_order_id'), 'purchase_order_lines', ['purchase_order_id'], unique=False)
    op.create_index(op.f('ix_purchase_order_lines_ticket_type_id'), 'purchase_order_lines', ['ticket_type_id'], unique=False)
    op.create_table('retail_rules',
    sa.Column('ticket_type_id', sa.Uuid(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('rounding', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('updated_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode IN ('fixed', 'markup_percent', 'markup_fixed')", name='ck_retail_rule_mode'),
    sa.CheckConstraint("rounding IN ('none', 'whole', 'ninety_nine', 'five')", name='ck_retail_rule_rounding'),
    sa.CheckConstraint('value >= 0', name='ck_retail_rule_value_nonneg'),
    sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_type_id')
    )
    op.create_table('supplier_payments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('purchase_order_id', sa.Uuid(), nullable=False),
    sa.Column('supplier_id', sa.Uuid(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('paid_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.CheckConstraint('amount_minor > 0', name='ck_supplier_payment_pos'),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_supplier_payments_purchase_order_id'), 'supplier_payments', ['purchase_order_id'], unique=False)
    op.create_index(op.f('ix_supplier_payments_supplier_id'), 'supplier_payments', ['supplier_id'], unique=False)
    op.create_table('owned_seats',
    sa.Column('event_seat_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('supplier_id', sa.Uuid(), nullable=False),
    sa.Column('purchase_order_id', sa.Uuid(), nullable=False),
    sa.Column('line_id', sa.Uuid(), nullable=False),
    sa.Column('unit_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('owned_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('returned_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_seat_id'], ['event_seats.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['line_id'], ['purchase_order_lines.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('event_seat_id')
    )
    op.create_index(op.f('ix_owned_seats_event_id'), 'owned_seats', ['event_id'], unique=False)
    op.create_index(op.f('ix_owned_seats_line_id'), 'owned_seats', ['line_id'], unique=False)
    op.create_index(op.f('ix_owned_seats_purchase_order_id'), 'owned_seats', ['purchase_order_id'], unique=False)
    op.create_index(op.f('ix_owned_seats_supplier_id'), 'owned_seats', ['supplier_id'], unique=False)
    op.create_table('purchase_order_seats',
    sa.Column('line_id', sa.Uuid(), nullable=False),
    sa.Column('event_seat_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['event_seat_id'], ['event_seats.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['line_id'], ['purchase_order_lines.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_id', 'event_seat_id')
    )
    op.create_index(op.f('ix_purchase_order_seats_event_seat_id'), 'purchase_order_seats', ['event_seat_id'], unique=False)
    op.create_table('ticket_sales',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_type_id', sa.Uuid(), nullable=False),
    sa.Column('price_level_id', sa.Uuid(), nullable=True),
    sa.Column('event_seat_id', sa.Uuid(), nullable=True),
    sa.Column('supplier_id', sa.Uuid(), nullable=True),
    sa.Column('purchase_order_id', sa.Uuid(), nullable=True),
    sa.Column('line_id', sa.Uuid(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('unit_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('retail_minor', sa.BigInteger(), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), nullable=False),
    sa.Column('fees_minor', sa.BigInteger(), nullable=False),
    sa.Column('margin_minor', sa.BigInteger(), nullable=False),
    sa.Column('sold_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_seat_id'], ['event_seats.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['line_id'], ['purchase_order_lines.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['price_level_id'], ['price_levels.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    op.create_index('ix_ticket_sales_event_sold', 'ticket_sales', ['event_id', 'sold_at'], unique=False)
    op.create_index(op.f('ix_ticket_sales_line_id'), 'ticket_sales', ['line_id'], unique=False)
    op.create_index(op.f('ix_ticket_sales_order_id'), 'ticket_sales', ['order_id'], unique=False)
    op.create_index(op.f('ix_ticket_sales_supplier_id'), 'ticket_sales', ['supplier_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_sales_supplier_id'), table_name='ticket_sales')
    op.drop_index(op.f('ix_ticket_sales_order_id'), table_name='ticket_sales')
    op.drop_index(op.f('ix_ticket_sales_line_id'), table_name='ticket_sales')
    op.drop_index('ix_ticket_sales_event_sold', table_name='ticket_sales')
    op.drop_table('ticket_sales')
    op.drop_index(op.f('ix_purchase_order_seats_event_seat_id'), table_name='purchase_order_seats')
    op.drop_table('purchase_order_seats')
    op.drop_index(op.f('ix_owned_seats_supplier_id'), table_name='owned_seats')
    op.drop_index(op.f('ix_owned_seats_purchase_order_id'), table_name='owned_seats')
    op.drop_index(op.f('ix_owned_seats_line_id'), table_name='owned_seats')
    op.drop_index(op.f('ix_owned_seats_event_id'), table_name='owned_seats')
    op.drop_table('owned_seats')
    op.drop_index(op.f('ix_supplier_payments_supplier_id'), table_name='supplier_payments')
    op.drop_index(op.f('ix_supplier_payments_purchase_order_id'), table_name='supplier_payments')
    op.drop_table('supplier_payments')
    op.drop_table('retail_rules')
    op.drop_index(op.f('ix_purchase_order_lines_ticket_type_id'), table_name='purchase_order_lines')
    op.drop_index(op.f('ix_purchase_order_lines_purchase_order_id'), table_name='purchase_order_lines')
    op.drop_table('purchase_order_lines')
    op.drop_index(op.f('ix_purchase_orders_supplier_id'), table_name='purchase_orders')
    op.drop_index(op.f('ix_purchase_orders_status'), table_name='purchase_orders')
    op.drop_index(op.f('ix_purchase_orders_organization_id'), table_name='purchase_orders')
    op.drop_index(op.f('ix_purchase_orders_event_id'), table_name='purchase_orders')
    op.drop_table('purchase_orders')
    op.drop_table('broker_events')
    op.drop_index(op.f('ix_suppliers_organization_id'), table_name='suppliers')
    op.drop_table('suppliers')
    op.drop_table('purchase_order_counters')
