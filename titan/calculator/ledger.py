"""Charging for operations atomically, and each user's ledger of records: listing, soft delete
with refund, admin credits."""

import functools

from sqlalchemy import String, bindparam, func, insert, select, update

from titan.calculator.arithmetic import answer
from titan.calculator.models import Operation, Record
from titan.common.exceptions import Conflict, NotFound, PaymentRequired
from titan.common.pagination import contains_any, counted, dumped_page, iso, ordered, paginate
from titan.common.transactions import commit
from titan.common.types import UTCDateTime, utcnow
from titan.extensions import db
from titan.members.models import User

INSUFFICIENT_BALANCE = "insufficient balance"
RECORD_DELETED = "Record deleted successfully, user balances records updated"
# Far below the 32-bit integer column limit, so refunds on top can never overflow it.
MAX_BALANCE = 1_000_000_000

# The only columns a list may be sorted by (the query schemas allow only these names).
OPERATION_SORT_COLUMNS = {"id": Operation.id, "type": Operation.type, "name": Operation.name, "cost": Operation.cost}
RECORD_SORT_COLUMNS = {
    "id": Record.id,
    "amount": Record.amount,
    "user_balance": Record.user_balance,
    "created_at": Record.created_at,
    "operation": Operation.name,
}


def list_operations(sort_by, direction, page, per_page, search=None):
    statement = select(Operation)
    if search:
        statement = statement.where(contains_any(search, Operation.type, Operation.name))
    return paginate(ordered(statement, OPERATION_SORT_COLUMNS[sort_by], direction, Operation.id), page, per_page)


# Taking an operation's cost: concurrent charges queue on the user's row and each sees the
# balance the previous one left, so credits are never spent twice; no row when the balance is short.
# (Parameters named like a column of `users` would become SET clauses of this UPDATE: none is.)
TAKE_COST = (
    update(User)
    .where(User.id == bindparam("user_id"), User.balance >= bindparam("cost"))
    .values(balance=User.balance - bindparam("cost"))
    .returning(User.balance)
)


def charged_record(balance):
    """The new record's columns: the balance after the charge comes from `balance`."""
    return {
        "user_id": bindparam("user_id"),
        "operation_id": bindparam("operation_id"),
        "amount": bindparam("cost"),
        "user_balance": balance,
        "operation_response": bindparam("response", type_=String),
        "created_at": bindparam("charged_at", type_=UTCDateTime()),
    }


RECORD_CHARGED = insert(Record).values(charged_record(bindparam("balance"))).returning(Record.id, Record.user_balance)
# PostgreSQL: the UPDATE feeds the INSERT, so the row lock is held for one statement and the commit.
CHARGED_VALUES = charged_record(TAKE_COST.cte("charged").c.balance)
CHARGE_AND_RECORD = (
    insert(Record)
    .from_select(list(CHARGED_VALUES), select(*CHARGED_VALUES.values()))
    .returning(Record.id, Record.user_balance)
)


def charge(user_id, operation, response):
    """Take the operation's cost from the user's balance and record `response`, all or nothing:
    one statement on PostgreSQL; elsewhere (SQLite, which locks the whole database for a write
    anyway) the UPDATE, then the INSERT. Returns (record id, balance after); raises
    PaymentRequired if the balance is below the cost."""
    parameters = {
        "user_id": user_id,
        "operation_id": operation.id,
        "cost": operation.cost,
        "response": response,
        "charged_at": utcnow(),
    }
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        charged = connection.execute(CHARGE_AND_RECORD, parameters).one_or_none()
    else:
        parameters["balance"] = connection.execute(TAKE_COST, parameters).scalar_one_or_none()
        charged = None if parameters["balance"] is None else connection.execute(RECORD_CHARGED, parameters).one()
    if charged is None:
        raise PaymentRequired("insufficient_balance", INSUFFICIENT_BALANCE)
    return charged


def perform_operation(user, operation_id, operator1, operator2=None):
    """Answer the operation, charge `user` its cost and record it, all or nothing."""
    operation = db.session.get(Operation, operation_id)
    if operation is None:
        raise NotFound("operation_not_found", "Operation not found")
    # Cheap early refusal by the balance read with the request's token, so a user who cannot pay
    # never makes us call random.org; `charge` below is what actually guarantees the balance.
    if user.balance < operation.cost:
        raise PaymentRequired("insufficient_balance", INSUFFICIENT_BALANCE)
    # Answer before charging: a bad operand or a failing random.org costs nothing.
    response = answer(operation.type, operator1, operator2)
    record_id, balance = charge(user.id, operation, response)
    commit()
    return {"record_id": record_id, "user_balance": balance, "operation_response": response}


# The records list: Core statements (no ORM objects), dumped as RecordSchema dumps a record.
records, operations = Record.__table__.c, Operation.__table__.c
RECORD_COLUMNS = (
    records.id,
    records.operation_id,
    operations.type,
    records.user_id,
    records.amount,
    records.user_balance,
    records.operation_response,
    records.created_at,
)
RECORD_ROW_SORT_COLUMNS = {
    "id": records.id,
    "amount": records.amount,
    "user_balance": records.user_balance,
    "created_at": records.created_at,
    "operation": operations.name,
}
RECORDS_WITH_OPERATION = Record.__table__.join(Operation.__table__, records.operation_id == operations.id)
LISTED_RECORDS = (records.user_id == bindparam("user_id"), records.deleted_at.is_(None))


def record_item(row):
    """A record as RecordSchema dumps it (tests/test_calculator.py checks they agree)."""
    return {
        "id": row[0],
        "operation_id": row[1],
        "operation_type": row[2],
        "user_id": row[3],
        "amount": row[4],
        "user_balance": row[5],
        "operation_response": row[6],
        "created_at": iso(row[7]),
    }


def record_statements(sort_by, direction, matches=None):
    """(count, rows) for a user's records, with the search condition `matches` if any. Without
    one, every record has its operation (a foreign key), so the count needs no join."""
    rows = select(*RECORD_COLUMNS).select_from(RECORDS_WITH_OPERATION).where(*LISTED_RECORDS)
    count = select(func.count()).select_from(Record.__table__ if matches is None else RECORDS_WITH_OPERATION)
    count = count.where(*LISTED_RECORDS)
    if matches is not None:
        rows, count = rows.where(matches), count.where(matches)
    rows = ordered(rows, RECORD_ROW_SORT_COLUMNS[sort_by], direction, records.id)
    return count, counted(rows, count).limit(bindparam("limit")).offset(bindparam("offset"))


# Built once per order: a list without a search is what nearly every request asks for.
unsearched_record_statements = functools.cache(record_statements)


def list_records(user_id, sort_by, direction, page, per_page, search=None):
    """The user's records, not deleted, with their operation's type: one query for the page and
    its total."""
    if search:
        matches = contains_any(search, operations.type, operations.name, records.operation_response)
        count, rows = record_statements(sort_by, direction, matches)
    else:
        count, rows = unsearched_record_statements(sort_by, direction)
    return dumped_page(count, rows, {"user_id": user_id}, page, per_page, record_item)


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
        raise NotFound("record_not_found", "Record not found")
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
            raise NotFound("user_not_found", "User not found")
        raise Conflict("balance_limit", f"A balance may not exceed {MAX_BALANCE:,} credits.", field="amount")
    commit()
    return {"id": user_id, "balance": balance}
