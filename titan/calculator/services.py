"""Calculator rules: what each operation answers, charging for it atomically, and each user's
ledger of records (listing, soft delete with refund), admin credits and the demo ledger."""

import random
import secrets
from datetime import timedelta
from decimal import Context, Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import contains_eager

from titan.auth.accounts import create_user
from titan.auth.models import User
from titan.auth.services import hash_password
from titan.calculator.models import Operation, Record
from titan.common.exceptions import Conflict, InvalidInput, NotFound, PaymentRequired, Unavailable
from titan.common.pagination import contains_any, ordered, paginate
from titan.common.transactions import commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.integrations import random_org
from titan.integrations.http import OutboundError

INSUFFICIENT_BALANCE = "insufficient balance"
RECORD_DELETED = "Record deleted successfully, user balances records updated"
RANDOM_STRING_MAX_LENGTH = 64
# Far below the 32-bit integer column limit, so refunds on top can never overflow it.
MAX_BALANCE = 1_000_000_000

# Sums and products of bounded operands (see schemas.Operand) are exact at 100 digits; quotients
# and square roots are rounded to 28 significant digits.
EXACT = Context(prec=100)
ROUNDED = Context(prec=28)
BINARY_OPERATIONS = {
    "addition": EXACT.add,
    "subtraction": EXACT.subtract,
    "multiplication": EXACT.multiply,
    "division": ROUNDED.divide,
}

# The only columns a list may be sorted by (the query schemas allow only these names).
OPERATION_SORT_COLUMNS = {"id": Operation.id, "type": Operation.type, "name": Operation.name, "cost": Operation.cost}
RECORD_SORT_COLUMNS = {
    "id": Record.id,
    "amount": Record.amount,
    "user_balance": Record.user_balance,
    "created_at": Record.created_at,
    "operation": Operation.name,
}

DEMO_PASSWORD = "123qweasd"
# username, email, balance after the demo ledger, records in it
DEMO_USERS = (
    ("testuser", "testuser@example.com", 7000, 1000),
    ("tesuser2", "tesuser2@example.com", 1, 0),
)
DEMO_SEED = 4242
DEMO_RECORD_SPACING = timedelta(minutes=37)


# --- answers -----------------------------------------------------------------------------------


def format_number(value):
    """Plain decimal notation without trailing zeros: 0.3, 2.5, 100 (never 1E+2 or -0)."""
    if value.is_zero():
        return "0"
    return format(value.normalize(EXACT), "f")


def calculate(operation_type, operator1, operator2):
    """The answer of an arithmetic operation. Raises InvalidInput for operands it cannot take."""
    if operation_type == "square_root":
        if operator1 < 0:
            raise InvalidInput("Cannot take the square root of a negative number.", field="operator1")
        return format_number(ROUNDED.sqrt(operator1))
    if operator2 is None:
        raise InvalidInput("This operation needs two operands.", field="operator2")
    if operation_type == "division" and operator2.is_zero():
        raise InvalidInput("Cannot divide by zero.", field="operator2")
    return format_number(BINARY_OPERATIONS[operation_type](operator1, operator2))


def random_string_length(operator1):
    if operator1 != operator1.to_integral_value() or not 1 <= operator1 <= RANDOM_STRING_MAX_LENGTH:
        raise InvalidInput(
            f"The length must be a whole number from 1 to {RANDOM_STRING_MAX_LENGTH}.", field="operator1"
        )
    return int(operator1)


def random_string(length):
    """From random.org when it is configured (503 if it fails), else from `secrets`."""
    if not random_org.is_enabled():
        return "".join(secrets.choice(random_org.CHARACTERS) for _ in range(length))
    try:
        return random_org.generate_string(length)
    except OutboundError:
        raise Unavailable(
            "The random string service is unavailable; nothing was charged. Try again shortly.",
            headers={"Retry-After": "5"},
        ) from None


def answer(operation_type, operator1, operator2):
    if operation_type == "random_string":
        return random_string(random_string_length(operator1))
    return calculate(operation_type, operator1, operator2)


# --- operations and charging -------------------------------------------------------------------


def list_operations(sort_by, direction, page, per_page, search=None):
    statement = select(Operation)
    if search:
        statement = statement.where(contains_any(search, Operation.type, Operation.name))
    return paginate(ordered(statement, OPERATION_SORT_COLUMNS[sort_by], direction, Operation.id), page, per_page)


def charge(user_id, cost):
    """Take `cost` credits in one statement: concurrent charges queue on the user's row and each
    sees the balance the previous one left, so credits are never spent twice. Returns the new
    balance; raises PaymentRequired if the balance is below the cost."""
    balance = db.session.execute(
        update(User)
        .where(User.id == user_id, User.balance >= cost)
        .values(balance=User.balance - cost)
        .returning(User.balance),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if balance is None:
        raise PaymentRequired(INSUFFICIENT_BALANCE)
    return balance


def perform_operation(user_id, operation_id, operator1, operator2=None):
    """Answer the operation, charge its cost and record it, all or nothing."""
    operation = db.session.get(Operation, operation_id)
    if operation is None:
        raise NotFound("Operation not found")
    # Cheap early refusal, so a user who cannot pay never makes us call random.org; `charge`
    # below is what actually guarantees the balance.
    if db.session.scalar(select(User.balance).where(User.id == user_id)) < operation.cost:
        raise PaymentRequired(INSUFFICIENT_BALANCE)
    # Answer before charging: a bad operand or a failing random.org costs nothing.
    response = answer(operation.type, operator1, operator2)
    balance = charge(user_id, operation.cost)
    record = Record(
        user_id=user_id,
        operation_id=operation.id,
        amount=operation.cost,
        user_balance=balance,
        operation_response=response,
    )
    db.session.add(record)
    commit()
    return {"record_id": record.id, "user_balance": balance, "operation_response": response}


# --- the ledger --------------------------------------------------------------------------------


def list_records(user_id, sort_by, direction, page, per_page, search=None):
    """The user's records, not deleted, with their operation joined in (no query per record)."""
    statement = (
        select(Record)
        .join(Record.operation)
        .options(contains_eager(Record.operation))
        .where(Record.user_id == user_id, Record.deleted_at.is_(None))
    )
    if search:
        statement = statement.where(contains_any(search, Operation.type, Operation.name, Record.operation_response))
    return paginate(ordered(statement, RECORD_SORT_COLUMNS[sort_by], direction, Record.id), page, per_page)


def lock_user(user_id):
    """Every ledger write takes the user's row first, so concurrent ones queue instead of deadlocking."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def delete_record(user_id, record_id):
    """Soft-delete the user's record, refund its amount, and raise the balance shown on the user's
    later records by it: three set-based statements in one transaction. Returns the new balance."""
    lock_user(user_id)
    amount = db.session.execute(
        update(Record)
        .where(Record.id == record_id, Record.user_id == user_id, Record.deleted_at.is_(None))
        .values(deleted_at=utcnow())
        .returning(Record.amount),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if amount is None:
        raise NotFound("Record not found")
    balance = db.session.execute(
        update(User).where(User.id == user_id).values(balance=User.balance + amount).returning(User.balance),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    db.session.execute(
        update(Record)
        .where(Record.user_id == user_id, Record.id > record_id, Record.deleted_at.is_(None))
        .values(user_balance=Record.user_balance + amount),
        execution_options={"synchronize_session": False},
    )
    commit()
    return balance


def credit_balance(user_id, amount):
    """Add credits to a user's balance (admins). Returns `{id, balance}`."""
    balance = db.session.execute(
        update(User)
        .where(User.id == user_id, User.balance <= MAX_BALANCE - amount)
        .values(balance=User.balance + amount)
        .returning(User.balance),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if balance is None:
        if db.session.get(User, user_id) is None:
            raise NotFound("User not found")
        raise Conflict(f"A balance may not exceed {MAX_BALANCE:,} credits.", field="amount")
    commit()
    return {"id": user_id, "balance": balance}


# --- demo data ---------------------------------------------------------------------------------


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
        user = create_user(
            email=email, username=username, password_hash=hash_password(DEMO_PASSWORD), balance=balance
        )
        add_demo_records(user, record_count)
        added.append(username)
    commit()
    return added
