"""The calculator over HTTP: operations, charged records, the ledger, refunds, admin credits."""

import json
import re

import pytest
import requests
import responses
from sqlalchemy import event, func, select

from titan.calculator import ledger
from titan.calculator.models import Operation, Record
from titan.common.exceptions import PaymentRequired
from titan.demo.calculator import ensure_demo_users
from titan.extensions import db
from titan.members.models import User

RANDOM_ORG_URL = "http://random-org.test/json-rpc/4/invoke"
SPECIAL = "Special numeric values (nan or infinity) are not permitted."
TOO_LARGE = "Operands must be between -1000000000000000 and 1000000000000000."
TOO_PRECISE = "Operands may have at most 20 digits after the decimal point."
COSTS = {"addition": 3, "subtraction": 3, "multiplication": 5, "division": 5, "square_root": 4, "random_string": 8}


@pytest.fixture
def operation_ids(app):
    return dict(db.session.execute(select(Operation.type, Operation.id)).all())


@pytest.fixture
def headers(user, auth_header):
    return auth_header("member")


@pytest.fixture
def calculate(client, headers, operation_ids):
    """POST /records for an operation type; operands are left out when None."""

    def post(operation_type, operator1=None, operator2=None, auth=None):
        body = {"operation_id": operation_ids[operation_type]}
        if operator1 is not None:
            body["operator1"] = operator1
        if operator2 is not None:
            body["operator2"] = operator2
        return client.post("/api/v1/records", json=body, headers=auth or headers)

    return post


def balance_of(user_id):
    # A column query, not the session's cached User: requests change the balance behind its back.
    return db.session.scalar(select(User.balance).where(User.id == user_id))


def records_of(user_id):
    return db.session.scalar(select(func.count()).select_from(Record).where(Record.user_id == user_id))


def set_balance(user, balance):
    user.balance = balance
    db.session.commit()


# --- operations --------------------------------------------------------------------------------


def test_operations_are_listed_with_their_costs(client, headers):
    body = client.get("/api/v1/operations", headers=headers).get_json()
    assert body["total"] == 6 and body["page"] == 1 and body["per_page"] == 20 and body["pages"] == 1
    assert {item["type"]: item["cost"] for item in body["items"]} == COSTS
    assert set(body["items"][0]) == {"id", "name", "type", "cost"}


def test_operations_sort_and_search(client, headers):
    by_cost = client.get("/api/v1/operations?sort_by=cost&direction=desc", headers=headers).get_json()["items"]
    assert [item["cost"] for item in by_cost] == [8, 5, 5, 4, 3, 3]
    by_name = client.get("/api/v1/operations?sort_by=name", headers=headers).get_json()["items"]
    assert [item["name"] for item in by_name] == sorted(item["name"] for item in by_name)
    found = client.get("/api/v1/operations?search=ROOT", headers=headers).get_json()
    assert [item["name"] for item in found["items"]] == ["Square Root"]
    assert client.get("/api/v1/operations?search=%25", headers=headers).get_json()["total"] == 0


def test_operations_refuse_bad_sort_and_anonymous_callers(client, headers):
    response = client.get("/api/v1/operations?sort_by=password", headers=headers)
    assert response.status_code == 400
    assert "sort_by" in response.get_json()["errors"]["query"]
    assert client.get("/api/v1/operations?direction=sideways", headers=headers).status_code == 400
    assert client.get("/api/v1/operations").status_code == 401


# --- running operations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation_type, operator1, operator2, expected",
    [
        ("addition", 0.1, 0.2, "0.3"),
        ("addition", "12.5", " 7.5 ", "20"),
        ("addition", -1000000000000000, -1000000000000000, "-2000000000000000"),
        ("subtraction", 5, 7.5, "-2.5"),
        ("subtraction", "0.3", "0.1", "0.2"),
        ("subtraction", 2, 2, "0"),
        ("multiplication", 1.5, 4, "6"),
        ("multiplication", -0.5, 0, "0"),
        ("multiplication", 1e15, 1e15, "1" + "0" * 30),
        ("multiplication", "0.00000000000000000001", "0.00000000000000000001", "0." + "0" * 39 + "1"),
        ("division", 10, 4, "2.5"),
        ("division", 1, 3, "0.3333333333333333333333333333"),
        ("division", 100, "0.5", "200"),
        ("division", -9, 3, "-3"),
        ("square_root", 16, None, "4"),
        ("square_root", 2, None, "1.414213562373095048801688724"),
        ("square_root", "0.25", 99, "0.5"),
        ("square_root", 0, None, "0"),
    ],
)
def test_each_operation_answers_charges_and_records(calculate, user, operation_type, operator1, operator2, expected):
    response = calculate(operation_type, operator1, operator2)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["operation_response"] == expected
    assert body["user_balance"] == 2500 - COSTS[operation_type] == balance_of(user.id)
    record = db.session.get(Record, body["record_id"])
    assert (record.user_id, record.amount, record.user_balance, record.operation_response) == (
        user.id,
        COSTS[operation_type],
        body["user_balance"],
        expected,
    )


def test_random_string_without_random_org_uses_secrets(calculate, user):
    response = calculate("random_string", 12)
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", body["operation_response"])
    assert body["user_balance"] == 2500 - 8 == balance_of(user.id)
    assert len(calculate("random_string", "64").get_json()["operation_response"]) == 64
    assert len(calculate("random_string", 10.0).get_json()["operation_response"]) == 10


@pytest.mark.parametrize(
    "operation_type, body, field, message",
    [
        ("division", {"operator1": 1, "operator2": 0}, "operator2", "Cannot divide by zero."),
        ("division", {"operator1": 0, "operator2": "0.000"}, "operator2", "Cannot divide by zero."),
        ("square_root", {"operator1": -4}, "operator1", "Cannot take the square root of a negative number."),
        ("addition", {"operator1": 1}, "operator2", "This operation needs two operands."),
        ("multiplication", {"operator1": 2, "operator2": None}, "operator2", "Field may not be null."),
        ("subtraction", {"operator2": 1}, "operator1", "Missing data for required field."),
        ("addition", {"operator1": "abc", "operator2": 1}, "operator1", "Not a valid number."),
        ("addition", {"operator1": [1], "operator2": 1}, "operator1", "Not a valid number."),
        ("addition", {"operator1": True, "operator2": 1}, "operator1", "Not a valid number."),
        ("addition", {"operator1": 1, "operator2": "NaN"}, "operator2", SPECIAL),
        ("addition", {"operator1": "-Infinity", "operator2": 1}, "operator1", SPECIAL),
        ("multiplication", {"operator1": 1e16, "operator2": 1}, "operator1", TOO_LARGE),
        ("multiplication", {"operator1": "-1000000000000000.1", "operator2": 1}, "operator1", TOO_LARGE),
        ("multiplication", {"operator1": "1e999999999", "operator2": 1}, "operator1", TOO_LARGE),
        ("multiplication", {"operator1": "1e-999999999", "operator2": 1}, "operator1", TOO_PRECISE),
        ("multiplication", {"operator1": "0." + "3" * 200, "operator2": 1}, "operator1", TOO_PRECISE),
        ("addition", {"operator1": "0." + "1" * 21, "operator2": 1}, "operator1", TOO_PRECISE),
        ("random_string", {"operator1": 0}, "operator1", "The length must be a whole number from 1 to 64."),
        ("random_string", {"operator1": 65}, "operator1", "The length must be a whole number from 1 to 64."),
        ("random_string", {"operator1": 2.5}, "operator1", "The length must be a whole number from 1 to 64."),
        ("random_string", {"operator1": -3}, "operator1", "The length must be a whole number from 1 to 64."),
        ("random_string", {}, "operator1", "Missing data for required field."),
    ],
)
def test_bad_operands_answer_400_and_charge_nothing(
    client, headers, user, operation_ids, operation_type, body, field, message
):
    body = {"operation_id": operation_ids[operation_type], **body}
    response = client.post("/api/v1/records", json=body, headers=headers)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["errors"]["json"] == {field: [message]}
    assert balance_of(user.id) == 2500 and records_of(user.id) == 0


def test_decimal_operands_tolerate_trailing_zeros_beyond_the_digit_limit(calculate):
    response = calculate("addition", "0.5" + "0" * 30, 1)
    assert response.status_code == 201 and response.get_json()["operation_response"] == "1.5"


@pytest.mark.parametrize(
    "body, status",
    [
        ({"operation_id": 999_999, "operator1": 1, "operator2": 1}, 404),
        ({"operation_id": "one", "operator1": 1, "operator2": 1}, 400),
        ({"operation_id": 2**40, "operator1": 1, "operator2": 1}, 400),
        ({"operator1": 1, "operator2": 1}, 400),
        ({"operation_id": 1, "operator1": 1, "operator2": 1, "operator3": 1}, 400),
    ],
)
def test_unknown_or_invalid_operation(client, headers, user, body, status):
    response = client.post("/api/v1/records", json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    assert balance_of(user.id) == 2500 and records_of(user.id) == 0


def test_running_an_operation_needs_a_token(client, operation_ids):
    body = {"operation_id": operation_ids["addition"], "operator1": 1, "operator2": 2}
    response = client.post("/api/v1/records", json=body)
    assert response.status_code == 401


def test_insufficient_balance_answers_402_and_records_nothing(calculate, user):
    set_balance(user, 4)
    response = calculate("multiplication", 2, 3)
    assert response.status_code == 402
    assert response.get_json()["message"] == "insufficient balance"
    assert balance_of(user.id) == 4 and records_of(user.id) == 0

    # The last credits can be spent: the balance may reach zero, never go below it.
    assert calculate("square_root", 9).get_json()["user_balance"] == 0
    assert calculate("addition", 1, 1).status_code == 402
    assert balance_of(user.id) == 0 and records_of(user.id) == 1


def test_the_charge_itself_refuses_a_short_balance(app, user, operation_ids):
    """What guarantees the balance when the early refusal passes on a balance spent meanwhile (a
    concurrent request): the charge takes nothing and records nothing."""
    multiplication = db.session.get(Operation, operation_ids["multiplication"])
    set_balance(user, 4)
    with pytest.raises(PaymentRequired):
        ledger.charge(user.id, multiplication, "6")
    db.session.rollback()
    assert balance_of(user.id) == 4 and records_of(user.id) == 0

    set_balance(user, 5)
    record_id, balance = ledger.charge(user.id, multiplication, "6")
    db.session.commit()
    record = db.session.get(Record, record_id)
    assert balance == 0 == balance_of(user.id)
    assert (record.user_id, record.amount, record.user_balance, record.operation_response) == (user.id, 5, 0, "6")


# --- random.org --------------------------------------------------------------------------------


@pytest.fixture
def random_org(app, monkeypatch):
    monkeypatch.setitem(app.config, "RANDOM_ORG_API_KEY", "test-key")
    monkeypatch.setitem(app.config, "RANDOM_ORG_BASE_URL", "http://random-org.test")
    with responses.RequestsMock() as mock:
        yield mock


def test_random_string_from_random_org(calculate, user, random_org):
    random_org.post(RANDOM_ORG_URL, json={"jsonrpc": "2.0", "result": {"random": {"data": ["aB3dE"]}}, "id": "1"})
    response = calculate("random_string", 5)
    assert response.status_code == 201
    assert response.get_json()["operation_response"] == "aB3dE"
    sent = json.loads(random_org.calls[0].request.body)
    assert sent["method"] == "generateStrings"
    assert sent["params"]["apiKey"] == "test-key" and sent["params"]["length"] == 5 and sent["params"]["n"] == 1
    assert balance_of(user.id) == 2500 - 8


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 500, "json": {"error": "down"}},
        {"body": requests.exceptions.ReadTimeout("slow")},
        {"body": requests.exceptions.ConnectionError("refused")},
        {"json": {"jsonrpc": "2.0", "error": {"code": 402, "message": "Quota exceeded"}, "id": "1"}},
        {"json": {"jsonrpc": "2.0", "result": {"random": {"data": ["short"]}}, "id": "1"}},
        {"body": "not json", "status": 200},
    ],
    ids=["server-error", "timeout", "connection-refused", "rpc-error", "wrong-length", "not-json"],
)
def test_random_org_failure_answers_503_and_charges_nothing(calculate, user, random_org, reply):
    random_org.post(RANDOM_ORG_URL, **reply)
    response = calculate("random_string", 8)
    assert response.status_code == 503
    assert "nothing was charged" in response.get_json()["message"]
    assert response.headers["Retry-After"] == "5"
    assert balance_of(user.id) == 2500 and records_of(user.id) == 0


def test_random_org_is_not_called_for_a_user_who_cannot_pay(calculate, user, random_org):
    set_balance(user, 7)
    assert calculate("random_string", 8).status_code == 402
    assert len(random_org.calls) == 0


def test_random_org_timeout_is_passed_to_requests(calculate, app, random_org, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOUND_TIMEOUT_SECONDS", 1.5)
    random_org.post(RANDOM_ORG_URL, json={"result": {"random": {"data": ["xyz"]}}})
    assert calculate("random_string", 3).status_code == 201
    assert random_org.calls[0].request.req_kwargs["timeout"] == 1.5


# --- the ledger --------------------------------------------------------------------------------


def test_records_list_shape_and_only_own_live_records(client, calculate, headers, make_user, auth_header, user):
    first = calculate("addition", 1, 2).get_json()
    calculate("division", 1, 4)
    make_user(email="other@example.com", username="other")
    calculate("multiplication", 3, 3, auth=auth_header("other"))
    client.delete(f"/api/v1/records/{first['record_id']}", headers=headers)

    body = client.get("/api/v1/records", headers=headers).get_json()
    assert body["total"] == 1 and body["pages"] == 1
    (item,) = body["items"]
    assert list(item) == [
        "id",
        "operation_id",
        "operation_type",
        "user_id",
        "amount",
        "user_balance",
        "operation_response",
        "created_at",
    ]
    assert item["operation_type"] == "division" and item["operation_response"] == "0.25"
    assert item["user_id"] == user.id and item["amount"] == 5
    assert item["created_at"].endswith("+00:00")


def test_records_pagination_envelope(client, calculate, headers):
    for number in range(5):
        calculate("addition", number, 1)
    body = client.get("/api/v1/records?per_page=2&page=3", headers=headers).get_json()
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (5, 3, 2, 3)
    assert [item["operation_response"] for item in body["items"]] == ["1"]  # newest first by default
    assert client.get("/api/v1/records?per_page=101", headers=headers).status_code == 400
    assert client.get("/api/v1/records?page=0", headers=headers).status_code == 400
    empty = client.get("/api/v1/records?page=9", headers=headers).get_json()
    assert empty["items"] == [] and empty["total"] == 5


def test_records_sort(client, calculate, headers):
    calculate("multiplication", 2, 2)
    calculate("addition", 2, 2)
    calculate("square_root", 81)
    calculate("division", 9, 3)

    def listed(query, key):
        return [item[key] for item in client.get(f"/api/v1/records?{query}", headers=headers).get_json()["items"]]

    by_id = ["multiplication", "addition", "square_root", "division"]
    assert listed("sort_by=id&direction=asc", "operation_type") == by_id
    assert listed("", "operation_type") == by_id[::-1]
    assert listed("sort_by=operation&direction=asc", "operation_type") == sorted(by_id)
    assert listed("sort_by=amount&direction=asc", "amount") == [3, 4, 5, 5]
    assert listed("sort_by=user_balance&direction=asc", "user_balance") == [2483, 2488, 2492, 2495]
    assert listed("sort_by=created_at&direction=asc", "operation_type")[0] == "multiplication"
    for bad in ("sort_by=user_id", "sort_by=operation_response", "sort_by=id;drop table users", "direction=up"):
        response = client.get(f"/api/v1/records?{bad}", headers=headers)
        assert response.status_code == 400, bad


def test_records_search(client, calculate, headers):
    calculate("square_root", 81)
    calculate("addition", 4, 5)
    calculate("multiplication", 25, 5)

    def found(search):
        response = client.get("/api/v1/records", query_string={"search": search}, headers=headers)
        return sorted(item["operation_response"] for item in response.get_json()["items"])

    assert found("square") == ["9"]  # operation name
    assert found("ADDITION") == ["9"]  # operation type, any case
    assert found("9") == ["9", "9"]  # the response
    assert found("125") == ["125"]
    assert found("t_o") == []  # LIKE wildcards are searched for literally ("addition" has "tio")
    assert found("%") == []


# --- deleting records --------------------------------------------------------------------------


def test_delete_refunds_and_raises_later_records(client, calculate, headers, user):
    set_balance(user, 100)
    first = calculate("addition", 1, 1).get_json()  # 97
    second = calculate("multiplication", 2, 2).get_json()  # 92
    third = calculate("division", 8, 2).get_json()  # 87
    fourth = calculate("square_root", 16).get_json()  # 83
    assert fourth["user_balance"] == 83

    response = client.delete(f"/api/v1/records/{second['record_id']}", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "message": "Record deleted successfully, user balances records updated",
        "user_balance": 88,
    }
    assert balance_of(user.id) == 88

    listed = client.get("/api/v1/records?sort_by=id&direction=asc", headers=headers).get_json()["items"]
    assert [(item["id"], item["user_balance"]) for item in listed] == [
        (first["record_id"], 97),
        (third["record_id"], 92),
        (fourth["record_id"], 88),
    ]
    # The deleted record is kept, marked deleted, with the balance it had.
    deleted = db.session.execute(
        select(Record.deleted_at, Record.user_balance).where(Record.id == second["record_id"])
    ).one()
    assert deleted.deleted_at is not None and deleted.user_balance == 92

    # The newest record's balance is the balance; deleting it touches no other record.
    assert client.delete(f"/api/v1/records/{fourth['record_id']}", headers=headers).get_json()["user_balance"] == 92
    listed = client.get("/api/v1/records?sort_by=id&direction=asc", headers=headers).get_json()["items"]
    assert [item["user_balance"] for item in listed] == [97, 92]


def test_delete_twice_or_someone_elses_record_is_404(client, calculate, headers, make_user, auth_header, user):
    own = calculate("addition", 1, 1).get_json()["record_id"]
    make_user(email="other@example.com", username="other")
    other_headers = auth_header("other")
    theirs = calculate("addition", 1, 1, auth=other_headers).get_json()["record_id"]

    response = client.delete(f"/api/v1/records/{theirs}", headers=headers)
    assert response.status_code == 404 and response.get_json()["message"] == "Record not found"
    assert client.get("/api/v1/records", headers=other_headers).get_json()["total"] == 1

    assert client.delete(f"/api/v1/records/{own}", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/records/{own}", headers=headers).status_code == 404
    assert balance_of(user.id) == 2500
    assert client.delete("/api/v1/records/999999", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/records/{2**40}", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/records/{own}").status_code == 401


# --- admin credit ------------------------------------------------------------------------------


def test_admin_credits_a_balance(client, admin, auth_header, user):
    response = client.post(f"/api/v1/users/{user.id}/balance", json={"amount": 500}, headers=auth_header("admin"))
    assert response.status_code == 200
    assert response.get_json() == {"id": user.id, "balance": 3000}
    assert balance_of(user.id) == 3000


def test_credit_is_for_admins_and_known_users(client, admin, auth_header, user, headers):
    assert client.post(f"/api/v1/users/{user.id}/balance", json={"amount": 5}, headers=headers).status_code == 403
    admin_headers = auth_header("admin")
    assert client.post("/api/v1/users/999999/balance", json={"amount": 5}, headers=admin_headers).status_code == 404
    for amount in (0, -5, 1_000_001, "10", 2.5, None):
        response = client.post(f"/api/v1/users/{user.id}/balance", json={"amount": amount}, headers=admin_headers)
        assert response.status_code == 400, amount
    assert client.post(f"/api/v1/users/{user.id}/balance", json={"amount": 5}).status_code == 401
    assert balance_of(user.id) == 2500


def test_credit_cannot_push_a_balance_past_the_cap(client, admin, auth_header, user):
    set_balance(user, ledger.MAX_BALANCE - 10)
    response = client.post(f"/api/v1/users/{user.id}/balance", json={"amount": 11}, headers=auth_header("admin"))
    assert response.status_code == 409
    assert "amount" in response.get_json()["errors"]["json"]
    assert balance_of(user.id) == ledger.MAX_BALANCE - 10


# --- demo ledger -------------------------------------------------------------------------------


@pytest.fixture
def demo_users(app):
    ensure_demo_users()
    return {name: db.session.scalar(select(User).where(User.username == name)) for name in ("testuser", "tesuser2")}


def test_demo_users_and_ledger_are_consistent_and_idempotent(demo_users, token_for):
    testuser, tesuser2 = demo_users["testuser"], demo_users["tesuser2"]
    assert (testuser.email, balance_of(testuser.id)) == ("testuser@example.com", 7000)
    assert balance_of(tesuser2.id) == 1 and records_of(tesuser2.id) == 0
    ledger = db.session.execute(
        select(Record.amount, Record.user_balance, Record.created_at)
        .where(Record.user_id == testuser.id)
        .order_by(Record.id)
    ).all()
    assert len(ledger) == 1000
    assert ledger[-1].user_balance == 7000
    for earlier, later in zip(ledger, ledger[1:], strict=False):
        assert later.user_balance == earlier.user_balance - later.amount
        assert later.created_at > earlier.created_at
    token_for("testuser", "123qweasd")
    token_for("tesuser2", "123qweasd")

    assert ensure_demo_users() == []
    assert records_of(testuser.id) == 1000 and balance_of(testuser.id) == 7000


def test_listing_a_deep_page_takes_as_many_queries_as_the_first(client, demo_users, auth_header):
    headers = auth_header("testuser", "123qweasd")
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def queries_for(page):
        statements.clear()
        response = client.get(f"/api/v1/records?page={page}", headers=headers)
        assert response.status_code == 200
        return len(statements), response.get_json()

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        first_count, first = queries_for(1)
        deep_count, deep = queries_for(50)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert deep["total"] == 1000 and deep["pages"] == 50 and len(deep["items"]) == 20
    assert all(item["operation_type"] for item in deep["items"])
    assert first["items"][0]["user_balance"] == 7000  # newest first
    # The token's user and revocation check, the count, the page: never one query per record.
    assert first_count == deep_count <= 4


# --- the records list's plain rows (titan.calculator.ledger.record_item) ------------------------


def records_as_the_schema_dumps_them(user_id, sort_by, direction, page, per_page, search=None):
    """The list as it was built before plain rows: ORM records and their operations, dumped by the
    page schema the route documents."""
    from sqlalchemy.orm import contains_eager

    from titan.calculator.schemas import RecordSchema
    from titan.common.pagination import contains_any, ordered, page_schema, paginate

    statement = (
        select(Record)
        .join(Record.operation)
        .options(contains_eager(Record.operation))
        .where(Record.user_id == user_id, Record.deleted_at.is_(None))
    )
    if search:
        statement = statement.where(contains_any(search, Operation.type, Operation.name, Record.operation_response))
    result = paginate(ordered(statement, ledger.RECORD_SORT_COLUMNS[sort_by], direction, Record.id), page, per_page)
    return page_schema(RecordSchema)().dump(result)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"per_page": 3},
        {"per_page": 3, "page": 2},
        {"per_page": 3, "page": 99},
        {"sort_by": "operation", "direction": "asc", "per_page": 4},
        {"sort_by": "amount", "per_page": 5, "page": 2},
        {"sort_by": "created_at", "direction": "asc"},
        {"sort_by": "user_balance"},
        {"search": "ADD"},
        {"search": "root", "per_page": 1, "page": 2},
        {"search": "no such thing"},
        {"search": "no such thing", "page": 3},
    ],
)
def test_records_list_answers_what_the_schema_dumps(client, calculate, headers, user, query):
    for operation_type, operator1, operator2 in [
        ("addition", 1, 2),
        ("square_root", 16, None),
        ("division", 10, 4),
        ("multiplication", 3, 3),
        ("subtraction", 5, 8),
        ("addition", 0.1, 0.2),
        ("square_root", 2, None),
    ]:
        assert calculate(operation_type, operator1, operator2).status_code == 201
    deleted = db.session.scalar(select(Record.id).where(Record.user_id == user.id).order_by(Record.id).limit(1))
    assert client.delete(f"/api/v1/records/{deleted}", headers=headers).status_code == 200
    response = client.get("/api/v1/records", query_string=query, headers=headers)
    assert response.status_code == 200
    arguments = {"sort_by": "id", "direction": "desc", "page": 1, "per_page": 20, **query}
    expected = records_as_the_schema_dumps_them(user.id, **arguments)
    assert response.get_json() == expected
    # The same bytes: the same keys in the same order, the same timestamps.
    assert response.get_data(as_text=True) == json.dumps(expected, separators=(",", ":")) + "\n"


def test_records_list_takes_two_queries(client, calculate, headers):
    assert calculate("addition", 1, 2).status_code == 201
    statements = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get("/api/v1/records", headers=headers).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    # The token's user with its revocation check, then the page with its total: nothing else.
    assert statements == ["SELECT", "SELECT"]
