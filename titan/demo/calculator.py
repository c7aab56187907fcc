"""The calculator's demo users and their ledgers."""

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from titan.calculator.arithmetic import calculate
from titan.calculator.models import Operation, Record
from titan.common.transactions import commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import random_org
from titan.members.accounts import create_user
from titan.members.models import User
from titan.members.passwords import hash_password

DEMO_PASSWORD = "123qweasd"
# username, email, balance after the demo ledger, records in it
DEMO_USERS = (
    ("testuser", "testuser@example.com", 7000, 1000),
    ("tesuser2", "tesuser2@example.com", 1, 0),
)
DEMO_SEED = 4242
DEMO_RECORD_SPACING = timedelta(minutes=37)


def demo_entries(rng, operations, count):
    """`count` (operation, response) pairs with varied operands, the same on every run."""
    for _ in range(count):
        operation = rng.choice(operations)
        if operation.type == "random_string":
            length = rng.randint(4, 16)
            yield operation, "".join(rng.choice(random_org.CHARACTERS) for _ in range(length))
            continue
        operator1 = Decimal(rng.randint(-5000, 5000)) / rng.choice((1, 4, 10, 100))
        operator2 = Decimal(rng.choice([n for n in range(-50, 51) if n]))
        if operation.type == "square_root":
            operator1 = abs(operator1)
        yield operation, calculate(operation.type, operator1, operator2)


def add_demo_records(user, count):
    """Insert `count` records in one statement, with user_balance running down to the user's balance."""
    operations = db.session.scalars(select(Operation).order_by(Operation.id)).all()
    if not operations:
        raise RuntimeError("No calculator operations: run `flask --app wsgi db upgrade` first.")
    entries = list(demo_entries(random.Random(DEMO_SEED), operations, count))
    running_balance = user.balance + sum(operation.cost for operation, _ in entries)
    first_at = utcnow() - DEMO_RECORD_SPACING * count
    rows = []
    for index, (operation, response) in enumerate(entries):
        running_balance -= operation.cost
        rows.append(
            {
                "user_id": user.id,
                "operation_id": operation.id,
                "amount": operation.cost,
                "user_balance": running_balance,
                "operation_response": response,
                "created_at": first_at + DEMO_RECORD_SPACING * index,
            }
        )
    if rows:
        db.session.execute(insert(Record), rows)


def ensure_demo_users():
    """Create the calculator's demo users and their ledgers unless they exist. Returns the
    usernames added (none on a second run)."""
    added = []
    for username, email, balance, record_count in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        user = create_user(email=email, username=username, password_hash=hash_password(DEMO_PASSWORD), balance=balance)
        add_demo_records(user, record_count)
        added.append(username)
    commit()
    return added
