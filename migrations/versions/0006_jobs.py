"""background jobs: procrastinate's queue (PostgreSQL) and each job's last error

procrastinate keeps its jobs, events and workers in tables, functions and triggers of its own; on
PostgreSQL this revision applies the schema of the pinned procrastinate release. A later release
ships SQL migrations of its own (procrastinate/sql/migrations): upgrading it means a new revision
that applies them. SQLite has no queue (JOBS_MODE=inline), only the `job_failures` table.

Revision ID: 0006_jobs
Revises: 0005_waitlist_boost
Create Date: 2026-12-03 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_jobs"
down_revision = "0005_waitlist_boost"
branch_labels = None
depends_on = None

PROCRASTINATE_VERSION = "3.10.0"


def procrastinate_schema():
    from importlib.metadata import version

    from procrastinate.schema import SchemaManager

    installed = version("procrastinate")
    if installed != PROCRASTINATE_VERSION:
        raise RuntimeError(f"this revision applies procrastinate {PROCRASTINATE_VERSION}'s schema, not {installed}'s")
    return SchemaManager.get_schema()


def upgrade():
    op.create_table(
        "job_failures",
        sa.Column("job_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_failures")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # exec_driver_sql: the schema is plain SQL with `%` in it, not a bound statement.
        op.get_bind().exec_driver_sql(procrastinate_schema().replace("%", "%%"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            DO $$
            DECLARE item record;
            BEGIN
                FOR item IN SELECT tablename FROM pg_tables
                            WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%' LOOP
                    EXECUTE format('DROP TABLE %I CASCADE', item.tablename);
                END LOOP;
                FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                            JOIN pg_namespace n ON n.oid = p.pronamespace
                            WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
                    EXECUTE format('DROP FUNCTION %s CASCADE', item.signature);
                END LOOP;
                FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                            WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
                              AND t.typtype IN ('e', 'c') LOOP
                    EXECUTE format('DROP TYPE %I CASCADE', item.typname);
                END LOOP;
            END $$;
            """
        )
    op.drop_table("job_failures")
