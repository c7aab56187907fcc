"""member activity per day: counters kept by triggers on users, for the operator dashboard

The dashboard's funnel and per-day charts read `member_activity` (a few rows per day) instead of
counting index entries of `users` (a million at a million members). Triggers on `users` keep it
exact in the same transaction as every change, whichever code path (or SQL) makes it: insert,
delete, and an update of a column a figure depends on. Each counter is split over SHARDS rows by
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
# The columns the figures read: an update that sets none of them fires no trigger.
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
CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in COLUMNS)


def postgresql_triggers():
    """Inserts and deletes are counted per statement, set-based over its rows (a bulk load is one
    upsert per day and kind, not one per row); updates per row, only when a figure's column changed."""
    old, new = kind_days("OLD", "postgresql"), kind_days("NEW", "postgresql")
    kinds = ", ".join(f"'{kind}'" for kind in old)
    row_upsert = UPSERT.format(rows="VALUES (changed_day, kinds[i], row_shard, delta)")
    changed_days = ", ".join(kind_days("changed", "postgresql").values())
    rows_upsert = UPSERT.format(
        rows=(
            "SELECT day, kind, shard, sign * count(*) FROM ("
            f"SELECT counted.day, counted.kind, changed.id % {SHARDS} AS shard FROM changed_rows AS changed "
            f"CROSS JOIN LATERAL unnest(ARRAY[{kinds}], ARRAY[{changed_days}]) "
            "AS counted(kind, day)) AS days WHERE day IS NOT NULL GROUP BY day, kind, shard"
        )
    )
    return [
        f"""
        CREATE FUNCTION member_activity_rows() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
        BEGIN
            {rows_upsert};
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE FUNCTION member_activity_change() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            kinds text[] := ARRAY[{kinds}];
            old_days date[] := ARRAY[{", ".join(old.values())}];
            new_days date[] := ARRAY[{", ".join(new.values())}];
            row_shard smallint := NEW.id % {SHARDS};
            changed_day date;
            delta integer;
        BEGIN
            FOR i IN 1..array_length(kinds, 1) LOOP
                CONTINUE WHEN old_days[i] IS NOT DISTINCT FROM new_days[i];
                FOR changed_day, delta IN SELECT old_days[i], -1 UNION ALL SELECT new_days[i], 1 LOOP
                    CONTINUE WHEN changed_day IS NULL;
                    {row_upsert};
                END LOOP;
            END LOOP;
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER users_member_activity_inserted AFTER INSERT ON users REFERENCING NEW TABLE AS changed_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION member_activity_rows()",
        "CREATE TRIGGER users_member_activity_deleted AFTER DELETE ON users REFERENCING OLD TABLE AS changed_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION member_activity_rows()",
        f"CREATE TRIGGER users_member_activity_changed AFTER UPDATE OF {', '.join(COLUMNS)} ON users "
        f"FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION member_activity_change()",
    ]


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

    changed = CHANGED.replace("IS DISTINCT FROM", "IS NOT")
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
        for name in ("inserted", "deleted", "changed"):
            op.execute(f"DROP TRIGGER users_member_activity_{name} ON users")
        op.execute("DROP FUNCTION member_activity_rows()")
        op.execute("DROP FUNCTION member_activity_change()")
    op.drop_table("member_activity")
