"""the leaderboard (who shows on it, and when each referrer's count last rose: ties go to whoever
reached the count first) and the milestones referrers reached

Referrers counted before this revision get the join time of their latest counted friend.

Revision ID: 0008_leaderboard_milestones
Revises: 0007_journey
Create Date: 2026-12-03 12:15:00

"""

import sqlalchemy as sa
from alembic import op

import titan.common.types

revision = "0008_leaderboard_milestones"
down_revision = "0007_journey"
branch_labels = None
depends_on = None

ON_LEADERBOARD = "referral_count > 0 AND show_on_leaderboard"


def upgrade():
    op.create_table(
        "milestone_rewards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.Column("reward", sa.String(length=32), nullable=False),
        sa.Column("places", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reached_at", titan.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("referrals > 0", name=op.f("ck_milestone_rewards_referrals_positive")),
        sa.CheckConstraint("places >= 0", name=op.f("ck_milestone_rewards_places_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_milestone_rewards_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_rewards")),
        sa.UniqueConstraint("user_id", "referrals", name=op.f("uq_milestone_rewards_user_id")),
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("show_on_leaderboard", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )
        batch_op.add_column(sa.Column("last_referral_at", titan.common.types.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE users SET last_referral_at = (SELECT max(friend.created_at) FROM users AS friend"
        " WHERE friend.referred_by_id = users.id AND friend.referral_state = 'counted')"
        " WHERE referral_count > 0"
    )
    op.create_index(
        "ix_users_leaderboard",
        "users",
        [sa.text("(-referral_count)"), "last_referral_at", "id"],
        postgresql_where=sa.text(ON_LEADERBOARD),
        sqlite_where=sa.text(ON_LEADERBOARD),
    )


def downgrade():
    op.drop_table("milestone_rewards")
    op.drop_index("ix_users_leaderboard", table_name="users")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("last_referral_at")
        batch_op.drop_column("show_on_leaderboard")
