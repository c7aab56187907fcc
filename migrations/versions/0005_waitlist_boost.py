"""waitlist boost instead of a stored rank

The position key (id - BOOST x referral_count, id) was stored whole as `waitlist_rank`, which a new
user could only get in a second statement once the database had given it an id. Storing the boost
instead (`waitlist_boost`, 0 for a new user) lets one INSERT create a waiting user; the key is an
expression index over waiting users.

Revision ID: 0005_waitlist_boost
Revises: 0004_waitlist_members
Create Date: 2026-11-23 12:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_waitlist_boost"
down_revision = "0004_waitlist_members"
branch_labels = None
depends_on = None

WAITING = sa.text("waitlist_status = 'waiting'")


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waitlist_boost", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE users SET waitlist_boost = id - waitlist_rank WHERE waitlist_rank IS NOT NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_users_waitlist_rank",
            postgresql_where=sa.text("waitlist_rank IS NOT NULL"),
            sqlite_where=sa.text("waitlist_rank IS NOT NULL"),
        )
        batch_op.drop_constraint(op.f("ck_users_rank_only_while_waiting"), type_="check")
        batch_op.drop_column("waitlist_rank")
        batch_op.create_check_constraint("waitlist_boost_not_negative", "waitlist_boost >= 0")
    op.create_index(
        "ix_users_waitlist_position",
        "users",
        [sa.text("(id - waitlist_boost)"), "id"],
        unique=False,
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )


def downgrade():
    op.drop_index("ix_users_waitlist_position", table_name="users", postgresql_where=WAITING, sqlite_where=WAITING)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_waitlist_boost_not_negative"), type_="check")
        batch_op.add_column(sa.Column("waitlist_rank", sa.Integer(), nullable=True))
    op.execute("UPDATE users SET waitlist_rank = id - waitlist_boost WHERE waitlist_status = 'waiting'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("waitlist_boost")
        batch_op.create_check_constraint(
            "rank_only_while_waiting",
            "(waitlist_rank IS NULL) = (waitlist_status IS NULL OR waitlist_status <> 'waiting')",
        )
        batch_op.create_index(
            "ix_users_waitlist_rank",
            ["waitlist_rank", "id"],
            unique=False,
            postgresql_where=sa.text("waitlist_rank IS NOT NULL"),
            sqlite_where=sa.text("waitlist_rank IS NOT NULL"),
        )
