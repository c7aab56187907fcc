"""The migrations build what the models declare: every index of `users` exists after `upgrade`,
expression indexes included (SQLite's batch mode rebuilds the table and must not lose them)."""

from sqlalchemy import text

from titan.extensions import db
from titan.members.models import User

INDEXES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'",
    "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'users'",
}


def test_every_declared_index_of_users_exists(app, backend):
    declared = {index.name for index in User.__table__.indexes}
    present = set(db.session.scalars(text(INDEXES[backend])))
    assert declared - present == set()
