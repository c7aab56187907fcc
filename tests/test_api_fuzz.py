"""Property-based fuzz of the whole API from its own OpenAPI document (Schemathesis).

Every operation gets generated requests, valid and invalid (both of Schemathesis' modes), signed in
as an admin where a token is needed. The checks: no 5xx, the status is one the document lists, and the body matches the
document's schema for that status.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = int(os.environ.get("TITAN_FUZZ_EXAMPLES", "40"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def fuzz_app(make_app, make_user):
    # Limits off: the fuzzer sends far more requests a minute than any person would.
    app = make_app(RATELIMIT_ENABLED=False)
    with app.app_context():
        make_user(email="fuzz-admin@example.com", username="fuzzadmin", is_admin=True)
        yield app


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    for result in schema.get_all_operations():
        yield result.ok()


def test_api_has_no_server_errors_and_matches_its_schema(fuzz_app):
    client = fuzz_app.test_client()
    token = client.post("/api/v1/auth/token", data={"username": "fuzzadmin", "password": "correct-horse-42"}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    failures = []
    tested = 0
    for operation in operations(fuzz_app):
        if operation.path == "/api/v1/auth/logout":
            continue  # logging out would revoke the token every other operation uses; tested in test_auth.py
        tested += 1

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategies.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode)))
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - gather every failure, report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert tested >= 25
    assert not failures, "\n\n".join(failures)
