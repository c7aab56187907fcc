"""Simultaneous calculator requests against PostgreSQL: credits are never spent (or refunded) twice."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from titan.calculator.models import Operation, Record
from titan.extensions import db
from titan.members.models import User

OPERATIONS_AFFORDABLE = 5
EXTRA_REQUESTS = 20


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("concurrency is tested against PostgreSQL (set TEST_DATABASE_URL)")


def send_together(app, count, send):
    """Run `send(client)` `count` times at once, each in its own thread with its own test client."""
    barrier = threading.Barrier(count)

    def one(_):
        client = app.test_client()
        barrier.wait()
        return send(client)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_simultaneous_operations_spend_each_credit_once(postgresql_only, make_app, make_user, auth_header):
    workers = OPERATIONS_AFFORDABLE + EXTRA_REQUESTS
    # Its own app with enough connections that every request reaches the database at once.
    racing_app = make_app(DATABASE_POOL_SIZE=workers, DATABASE_MAX_OVERFLOW=0)
    operation = db.session.scalar(select(Operation).where(Operation.type == "multiplication"))
    start = OPERATIONS_AFFORDABLE * operation.cost + 2  # 2 left over: never enough for one more
    user_id = make_user(email="racer@example.com", username="racer", balance=start).id
    headers = auth_header("racer")

    body = {"operation_id": operation.id, "operator1": 6, "operator2": 7}
    statuses = send_together(
        racing_app, workers, lambda client: client.post("/api/v1/records", json=body, headers=headers).status_code
    )

    assert sorted(statuses) == [201] * OPERATIONS_AFFORDABLE + [402] * EXTRA_REQUESTS
    assert db.session.scalar(select(User.balance).where(User.id == user_id)) == 2
    balances = db.session.scalars(
        select(Record.user_balance).where(Record.user_id == user_id).order_by(Record.id)
    ).all()
    # The ledger runs down one charge at a time, with no balance shown twice.
    assert balances == [start - operation.cost * (index + 1) for index in range(OPERATIONS_AFFORDABLE)]


def test_simultaneous_deletes_refund_once(postgresql_only, make_app, client, make_user, auth_header):
    workers = 10
    racing_app = make_app(DATABASE_POOL_SIZE=workers, DATABASE_MAX_OVERFLOW=0)
    user_id = make_user(email="racer@example.com", username="racer").id
    headers = auth_header("racer")
    operation_id = db.session.scalar(select(Operation.id).where(Operation.type == "addition"))
    bodies = [{"operation_id": operation_id, "operator1": n, "operator2": 1} for n in range(3)]
    record_ids = [client.post("/api/v1/records", json=body, headers=headers).get_json()["record_id"] for body in bodies]

    # Everyone deletes the first two records at once: each is refunded exactly once, and the
    # third record ends up showing both refunds.
    statuses = send_together(
        racing_app,
        workers,
        lambda client: [
            client.delete(f"/api/v1/records/{record_id}", headers=headers).status_code for record_id in record_ids[:2]
        ],
    )

    deletes = [status for pair in statuses for status in pair]
    assert deletes.count(200) == 2 and deletes.count(404) == len(deletes) - 2
    assert db.session.scalar(select(User.balance).where(User.id == user_id)) == 2500 - 3
    assert db.session.scalar(select(Record.user_balance).where(Record.id == record_ids[2])) == 2500 - 3
    live = db.session.scalar(
        select(func.count()).select_from(Record).where(Record.user_id == user_id, Record.deleted_at.is_(None))
    )
    assert live == 1
