"""the journey from visitor to account holder: confirmed addresses, pending referrals, revocable
tokens and admin sessions, unsubscribing, and the visitor-mail throttle

Users who were referred before this revision were counted at once: their referral is `counted`.
Nobody's address was proven by a link before, so every address starts unconfirmed.

Revision ID: 0007_journey
Revises: 0006_jobs
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op

import titan.common.types

revision = "0007_journey"
down_revision = "0006_jobs"
branch_labels = None
depends_on = None

REFERRAL_STATE_KNOWN = (
    "(referred_by_id IS NULL OR referral_state IS NOT NULL) AND "
    "(referral_state IS NULL OR referral_state IN ('pending', 'counted'))"
)


def restore_position_index():
    """SQLite's batch mode rebuilds the table, and reflection skips expression indexes: the position
    index is lost with it, so it is made again (a no-op on PostgreSQL, which alters in place)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_users_waitlist_position ON users ((id - waitlist_boost), id)"
            " WHERE waitlist_status = 'waiting'"
        )


def upgrade():
    op.create_table(
        "visitor_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent_at", titan.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitor_mail")),
    )
    op.create_index("ix_visitor_mail_address_sent_at", "visitor_mail", ["address", "sent_at"])
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("referral_state", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("email_confirmed_at", titan.common.types.UTCDateTime(timezone=True)))
        batch_op.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("mail_opt_out", sa.Boolean(), server_default=sa.text("false"), nullable=False))
        batch_op.add_column(sa.Column("token_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("admin_session_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("link_sign_in_at", titan.common.types.UTCDateTime(timezone=True)))
    op.execute("UPDATE users SET referral_state = 'counted' WHERE referred_by_id IS NOT NULL")
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_check_constraint("referral_state_known", REFERRAL_STATE_KNOWN)
    restore_position_index()


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("referral_state_known", type_="check")
        for column in (
            "link_sign_in_at",
            "admin_session_generation",
            "token_generation",
            "mail_opt_out",
            "pending_email",
            "email_confirmed_at",
            "referral_state",
        ):
            batch_op.drop_column(column)
    restore_position_index()
    op.drop_index("ix_visitor_mail_address_sent_at", table_name="visitor_mail")
    op.drop_table("visitor_mail")
