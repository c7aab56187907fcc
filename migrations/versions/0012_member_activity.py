"""member activity per day: counters kept by triggers on users, for the operator dashboard

The dashboard's funnel and per-day charts read `member_activity` (a few rows per day) instead of
counting index entries of `users` (a million at a million members). Triggers on `users` keep it
exact in the same transaction as every change, whichever code path (or SQL) makes it: insert,
delete, and an update of a column a figure depends on (PostgreSQL: per statement, set-based over
its transition tables; SQLite: per row). Each counter is split over SHARDS rows by
user id, so concurrent joins do not queue on one row lock. The per-day indexes of 0010 are no
longer read and go (every join paid for them).

SQLite's batch mode rebuilds `users` and drops its triggers: a later migration that alters `users`
in batch mode must create them again (`create_triggers`).

Revision ID: 0012_member_activity
Revises: 0011_fraud_signals
Create Date: 2026-12-03 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_member_activity"
down_revision = "0011_fraud_signals"
branch_labels = None
depends_on = None

SHARDS = 8
# The columns the figures read: on SQLite, an update that sets none of them fires no trigger.
COLUMNS = (
    "waitlist_status",
    "joined_waitlist_at",
    "email_confirmed_at",
    "referral_state",
    "admitted_at",
    "password_hash",
)
OLD_INDEXES = {
    "ix_users_joined_waitlist_at": "joined_waitlist_at",
    "ix_users_email_confirmed_at": "email_confirmed_at",
    "ix_users_admitted_at": "admitted_at",
}


def utc_day(value, dialect):
    return f"date({value})" if dialect == "sqlite" else f"(({value}) AT TIME ZONE 'UTC')::date"


def kind_days(row, dialect):
    """Each counted kind: the UTC day a user `row` (NEW or OLD) counts on, NULL when it does not count."""
    day = lambda value: utc_day(value, dialect)  # noqa: E731
    return {
        "joined": f"CASE WHEN {row}.waitlist_status IS NOT NULL THEN {day(f'{row}.joined_waitlist_at')} END",
        "confirmed": f"CASE WHEN {row}.waitlist_status IS NOT NULL THEN {day(f'{row}.email_confirmed_at')} END",
        "referral_counted": (
            f"CASE WHEN {row}.referral_state = 'counted' "
            f"THEN {day(f'coalesce({row}.email_confirmed_at, {row}.created_at)')} END"
        ),
        "admitted": f"CASE WHEN {row}.waitlist_status = 'admitted' THEN {day(f'{row}.admitted_at')} END",
        "activated": (
            f"CASE WHEN {row}.waitlist_status = 'admitted' AND {row}.password_hash IS NOT NULL "
            f"THEN {day(f'{row}.admitted_at')} END"
        ),
    }


UPSERT = (
    "INSERT INTO member_activity (day, kind, shard, count) {rows} "
    "ON CONFLICT (day, kind, shard) DO UPDATE SET count = member_activity.count + excluded.count"
)


def postgresql_triggers():
    """Counted per statement, set-based over its rows (transition tables): a bulk load or a bulk
    admission is one upsert per day and kind, not one per row."""
    kinds = ", ".join(f"'{kind}'" for kind in kind_days("x", "postgresql"))

    def days(row):
        return ", ".join(kind_days(row, "postgresql").values())

    def count(rows):
        return UPSERT.format(
            rows=f"SELECT day, kind, shard, sum(delta) FROM ({rows}) AS changes "
            "WHERE day IS NOT NULL GROUP BY day, kind, shard HAVING sum(delta) <> 0"
        )

    def each_day(source, row, delta):
        return (
            f"SELECT counted.day, counted.kind, {row}.id % {SHARDS} AS shard, {delta} AS delta FROM {source} "
            f"CROSS JOIN LATERAL unnest(ARRAY[{kinds}], ARRAY[{days(row)}]) AS counted(kind, day)"
        )

    def moved_days(sign):
        # An update moves a member off the old day of each figure and onto the new one; the two
        # cancel out in sum(delta) where the day did not change.
        return each_day("old_rows AS o JOIN new_rows AS n ON n.id = o.id", "n" if sign > 0 else "o", sign)

    functions = {
        "member_activity_inserted": count(each_day("new_rows AS n", "n", 1)),
        "member_activity_deleted": count(each_day("old_rows AS o", "o", -1)),
        "member_activity_updated": count(f"{moved_days(-1)} UNION ALL {moved_days(1)}"),
    }
    transition_tables = {
        "inserted": ("INSERT", "NEW TABLE AS new_rows"),
        "deleted": ("DELETE", "OLD TABLE AS old_rows"),
        "updated": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    }
    statements = [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"
        for name, body in functions.items()
    ]
    statements += [
        f"CREATE TRIGGER users_member_activity_{name} AFTER {event} ON users REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION member_activity_{name}()"
        for name, (event, tables) in transition_tables.items()
    ]
    return statements


def sqlite_triggers():
    old, new = kind_days("OLD", "sqlite"), kind_days("NEW", "sqlite")

    def count(row, days, delta, unless=None):
        """One upsert per kind: `delta` on the row's day for that kind (when it has one, and when
        it differs from the day in `unless`)."""
        statements = []
        for kind, day in days.items():
            differs = "" if unless is None else f" AND changed_day IS NOT ({unless[kind]})"
            rows = (
                f"SELECT changed_day, '{kind}', {row}.id % {SHARDS}, {delta} "
                f"FROM (SELECT {day} AS changed_day) WHERE changed_day IS NOT NULL{differs}"
            )
            statements.append(UPSERT.format(rows=rows) + ";")
        return " ".join(statements)

    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in COLUMNS)
    return [
        f"CREATE TRIGGER users_member_activity_insert AFTER INSERT ON users FOR EACH ROW "
        f"BEGIN {count('NEW', new, 1)} END",
        f"CREATE TRIGGER users_member_activity_delete AFTER DELETE ON users FOR EACH ROW "
        f"BEGIN {count('OLD', old, -1)} END",
        f"CREATE TRIGGER users_member_activity_update AFTER UPDATE OF {', '.join(COLUMNS)} ON users "
        f"FOR EACH ROW WHEN {changed} "
        f"BEGIN {count('OLD', old, -1, unless=new)} {count('NEW', new, 1, unless=old)} END",
    ]


def create_triggers():
    dialect = op.get_bind().dialect.name
    for statement in sqlite_triggers() if dialect == "sqlite" else postgresql_triggers():
        op.execute(statement)


def backfill():
    dialect = op.get_bind().dialect.name
    per_kind = " UNION ALL ".join(
        f"SELECT {day} AS day, '{kind}' AS kind FROM users AS u" for kind, day in kind_days("u", dialect).items()
    )
    op.execute(
        "INSERT INTO member_activity (day, kind, shard, count) "
        f"SELECT day, kind, 0, count(*) FROM ({per_kind}) AS days WHERE day IS NOT NULL GROUP BY day, kind"
    )


def upgrade():
    op.create_table(
        "member_activity",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "shard", name="pk_member_activity"),
    )
    backfill()
    create_triggers()
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="users")
    op.drop_index("ix_users_counted_referral_at", table_name="users")


def downgrade():
    for name, column in OLD_INDEXES.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "users", [column], postgresql_where=where, sqlite_where=where)
    counted = sa.text("referral_state = 'counted'")
    op.create_index(
        "ix_users_counted_referral_at",
        "users",
        [sa.text("(coalesce(email_confirmed_at, created_at))")],
        postgresql_where=counted,
        sqlite_where=counted,
    )
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER users_member_activity_{name}")
    else:
        for name in ("inserted", "deleted", "updated"):
            op.execute(f"DROP TRIGGER users_member_activity_{name} ON users")
            op.execute(f"DROP FUNCTION member_activity_{name}()")
    op.drop_table("member_activity")
