"""fraud signals: each join's client address, network and user-agent hash; suspect and void referrals

Revision ID: 0011_fraud_signals
Revises: 0010_dashboard_indexes
Create Date: 2026-12-03 12:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_fraud_signals"
down_revision = "0010_dashboard_indexes"
branch_labels = None
depends_on = None

OLD_STATES = (
    "(referred_by_id IS NULL OR referral_state IS NOT NULL) AND "
    "(referral_state IS NULL OR referral_state IN ('pending', 'counted'))"
)
NEW_STATES = (
    "(referred_by_id IS NULL OR referral_state IS NOT NULL) AND "
    "(referral_state IS NULL OR referral_state IN ('pending', 'counted', 'suspect', 'void'))"
)


# SQLite's batch mode rebuilds the table and reflection skips expression indexes: they are lost
# with it, so they are made again afterwards (a no-op on PostgreSQL, which alters in place).
EXPRESSION_INDEXES = {
    "ix_users_waitlist_position": ("(id - waitlist_boost), id", "waitlist_status = 'waiting'"),
    "ix_users_leaderboard": ("(-referral_count), last_referral_at, id", "referral_count > 0 AND show_on_leaderboard"),
    "ix_users_counted_referral_at": ("(coalesce(email_confirmed_at, created_at))", "referral_state = 'counted'"),
}


def restore_expression_indexes():
    if op.get_bind().dialect.name == "sqlite":
        for name, (columns, where) in EXPRESSION_INDEXES.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON users ({columns}) WHERE {where}")


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("join_address", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("join_network", sa.String(length=49), nullable=True))
        batch_op.add_column(sa.Column("join_agent_hash", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("referral_flag", sa.String(length=20), nullable=True))
        batch_op.drop_constraint("referral_state_known", type_="check")
        batch_op.create_check_constraint("referral_state_known", NEW_STATES)
    restore_expression_indexes()
    op.create_index(
        "ix_users_join_network_created_at",
        "users",
        ["join_network", "created_at"],
        postgresql_where=sa.text("join_network IS NOT NULL"),
        sqlite_where=sa.text("join_network IS NOT NULL"),
    )
    op.create_index(
        "ix_users_suspect_referrals",
        "users",
        ["id"],
        postgresql_where=sa.text("referral_state = 'suspect'"),
        sqlite_where=sa.text("referral_state = 'suspect'"),
    )


def downgrade():
    op.drop_index("ix_users_suspect_referrals", table_name="users")
    op.drop_index("ix_users_join_network_created_at", table_name="users")
    op.execute("UPDATE users SET referral_state = 'pending' WHERE referral_state = 'suspect'")
    op.execute(
        "UPDATE users SET referred_by_id = NULL, referral_state = NULL, signup_code = NULL"
        " WHERE referral_state = 'void'"
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("referral_state_known", type_="check")
        batch_op.create_check_constraint("referral_state_known", OLD_STATES)
        batch_op.drop_column("referral_flag")
        batch_op.drop_column("join_agent_hash")
        batch_op.drop_column("join_network")
        batch_op.drop_column("join_address")
    restore_expression_indexes()
