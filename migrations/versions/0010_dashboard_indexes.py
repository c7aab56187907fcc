"""indexes for the operator dashboard's per-day figures

Revision ID: 0010_dashboard_indexes
Revises: 0009_webhooks
Create Date: 2026-12-03 12:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_dashboard_indexes"
down_revision = "0009_webhooks"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_users_joined_waitlist_at": ("joined_waitlist_at", "joined_waitlist_at IS NOT NULL"),
    "ix_users_email_confirmed_at": ("email_confirmed_at", "email_confirmed_at IS NOT NULL"),
    "ix_users_admitted_at": ("admitted_at", "admitted_at IS NOT NULL"),
}
COUNTED_AT = "(coalesce(email_confirmed_at, created_at))"
COUNTED = "referral_state = 'counted'"


def upgrade():
    for name, (column, where) in INDEXES.items():
        op.create_index(name, "users", [column], postgresql_where=sa.text(where), sqlite_where=sa.text(where))
    op.create_index(
        "ix_users_counted_referral_at",
        "users",
        [sa.text(COUNTED_AT)],
        postgresql_where=sa.text(COUNTED),
        sqlite_where=sa.text(COUNTED),
    )


def downgrade():
    op.drop_index("ix_users_counted_referral_at", table_name="users")
    for name in INDEXES:
        op.drop_index(name, table_name="users")
