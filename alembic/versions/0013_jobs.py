"""jobs: mails sent (idempotent sends), jobs failed for good, and procrastinate's queue

Revision ID: 0013_jobs
Revises: 0015_broker
Create Date: 2026-12-06 23:00:00

On PostgreSQL the job queue is procrastinate's: its schema (tables, functions, triggers) is
applied here from the installed, pinned procrastinate, so `alembic upgrade head` is the one
command that brings a database up. A later procrastinate upgrade brings its migration files
(procrastinate/sql/migrations/): apply them in a new revision. SQLite has no queue tables: jobs
run in-process there (ticketing/jobs/queue.py).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import ticketing.models.base


revision = '0013_jobs'
down_revision = '0015_broker'
branch_labels = None
depends_on = None


def _driver_sql(sql: str) -> None:
    """Many statements with % and : in them, run by psycopg as they are (no parameters, so
    nothing is parsed as a placeholder), in the migration's transaction."""
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:
        cursor.execute(sql)


def upgrade() -> None:
    op.create_table('sent_mails',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sent_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('job_failures',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('task', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('failed_at', ticketing.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_failures_organization_id'), ['organization_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        from procrastinate.schema import SchemaManager

        _driver_sql(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _driver_sql("""
            DROP TABLE IF EXISTS procrastinate_periodic_defers, procrastinate_events, procrastinate_jobs,
                procrastinate_workers CASCADE;
            DO $$ DECLARE f record; BEGIN
                FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc WHERE proname LIKE 'procrastinate%' LOOP
                    EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
                END LOOP;
            END $$;
            DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type,
                procrastinate_job_to_defer_v1 CASCADE;
        """)
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_failures_organization_id'))
    op.drop_table('job_failures')
    op.drop_table('sent_mails')
