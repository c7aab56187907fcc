"""Property-based fuzz of the whole API from its own OpenAPI document (Schemathesis), and of the
admin panel, on every backend the `database` fixture runs (SQLite, and PostgreSQL + Redis when
TEST_DATABASE_URL is set). The gate: no request ever gets a 5xx.

- Every operation gets generated requests, valid and invalid (both of Schemathesis' modes), signed
  in as an admin where a token is needed. The checks: no 5xx, the status is one the document lists,
  and the body matches the document's schema for that status.
- Every operation again, with hostile input grafted onto valid requests (docs/contract.md §7): NUL
  bytes and unpaired surrogates in any string, field name, path or query parameter and header; JSON
  nested far deeper than the parser takes; integer literals past Python's 4,300 digits; non-finite
  numbers. The check: a clean 4xx (or a success), never a 5xx, and JSON from the API.
- Every admin view, signed in as an admin, with generated query strings (search, paging, sorting,
  filters, ids), forms and path arguments.

The number of requests each run sends is printed (`fuzz: ...`); README.md ("Security model") keeps
it. TITAN_FUZZ_EXAMPLES scales all three (default 40 generated cases an operation).
"""

import copy
import json
import os
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import PASSWORD

MAX_EXAMPLES = int(os.environ.get("TITAN_FUZZ_EXAMPLES", "40"))
HOSTILE_EXAMPLES = max(MAX_EXAMPLES // 2, 5)
ADMIN_EXAMPLES = max(MAX_EXAMPLES // 4, 5)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Logging out would revoke the token every other operation uses (tested in test_auth.py).
SKIPPED_OPERATIONS = {("POST", "/api/v1/auth/logout")}
SETTINGS = {"deadline": None, "database": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}
# The hostile and admin runs report a failing request as found: shrinking it would cost minutes.
UNSHRUNK = {**SETTINGS, "phases": [Phase.explicit, Phase.reuse, Phase.generate]}

# What a URL, a form or a header can carry: NUL. (Their bytes are UTF-8 or percent-escapes of it;
# an unpaired surrogate cannot be encoded, and invalid UTF-8 decodes as U+FFFD.)
NUL_TEXT = strategies.sampled_from(["\x00", "a\x00b", "\x00" * 3])
# What a JSON string can carry besides: the escapes of unpaired surrogates.
BAD_JSON_TEXT = NUL_TEXT | strategies.sampled_from(["\ud800", "\udfff", "x\udc80y", "\ud800\x00"])
DEEP_JSON = "[" * 1500 + "]" * 1500
HUGE_INTEGER = "9" * 4301
# Raw JSON a parser must refuse with a 400: grafted in place of a value, or sent as the body.
RAW_JSON = strategies.sampled_from([DEEP_JSON, '{"a": ' * 300 + "1" + "}" * 300, HUGE_INTEGER, "-" + HUGE_INTEGER])
RAW_JSON_VALUES = RAW_JSON | strategies.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "1" + "0" * 400 + ".5"])
PLACEHOLDER = "\ue000titan-fuzz\ue000"


def counted(counts, name):
    counts.setdefault(name, 0)

    def count():
        counts[name] += 1

    return count


@pytest.fixture(scope="module")
def counts(request):
    """Requests sent per kind of fuzz and backend; printed at the end of the module."""
    sent = {}
    yield sent
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and sent:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                "\nfuzz: " + ", ".join(f"{name}: {number} requests" for name, number in sorted(sent.items()))
            )


@pytest.fixture
def fuzz_app(make_app, make_user):
    # Limits off: the fuzzer sends far more requests a minute than any person would.
    app = make_app(RATELIMIT_ENABLED=False)
    with app.app_context():
        make_user(email="fuzz-admin@example.com", username="fuzzadmin", is_admin=True)
        yield app


@pytest.fixture
def bearer(fuzz_app):
    client = fuzz_app.test_client()
    token = client.post("/api/v1/auth/token", data={"username": "fuzzadmin", "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED_OPERATIONS:
            yield operation


def run_each(operations_, test):
    """Run `test(operation)` for every operation; every failure is reported, not only the first."""
    failures = []
    tested = 0
    for operation in operations_:
        tested += 1
        try:
            test(operation)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - gather every failure, report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
    return tested


def test_api_has_no_server_errors_and_matches_its_schema(fuzz_app, bearer, backend, counts):
    count = counted(counts, f"schema-{backend}")

    def test(operation):
        @settings(max_examples=MAX_EXAMPLES, **SETTINGS)
        @given(case=strategies.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode)))
        def check(case):
            count()
            case.validate_response(case.call(headers=bearer), checks=CHECKS)

        check()

    assert run_each(operations(fuzz_app), test) >= 25


# --- hostile input --------------------------------------------------------------------------------


def json_paths(value, path=()):
    """The path to every value inside a JSON value (the value itself first)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, (*path, index))


def replaced(value, path, new):
    if not path:
        return new
    value = copy.copy(value)
    value[path[0]] = replaced(value[path[0]], path[1:], new)
    return value


def at(value, path):
    for step in path:
        value = value[step]
    return value


class Hostile:
    """A generated case with hostile input grafted on: `raw` (bytes) replaces its body when set."""

    def __init__(self, case, what, raw=None, headers=None):
        self.case, self.what, self.raw, self.headers = case, what, raw, headers or {}

    def send(self, bearer):
        headers = {**bearer, **self.headers}
        if self.raw is None:
            return self.case.call(headers=headers)
        return self.case.call(headers={**headers, "Content-Type": "application/json"}, data=self.raw)


def variant(case, **changes):
    """A new case like `case` with some parts replaced (the generated one stays as it was)."""
    parts = {
        "method": case.method,
        "path_parameters": dict(case.path_parameters or {}),
        "headers": dict(case.headers or {}),
        "cookies": dict(case.cookies or {}),
        "query": dict(case.query or {}),
        "body": case.body,
        "media_type": case.media_type,
    }
    return case.operation.Case(**{**parts, **changes})


def with_text_in_url(case, part, name, bad):
    values = dict(getattr(case, part) or {})
    value = values.get(name)
    values[name] = f"{value if isinstance(value, str | int | float) else 'x'}{bad}"
    return Hostile(variant(case, **{part: values}), f"{bad!r} in {part} {name!r}")


def with_text_in_body(case, path, bad, as_key):
    target = at(case.body, path)
    if as_key and isinstance(target, dict):
        body = replaced(case.body, path, {**target, f"key{bad}": "x"})
        return Hostile(variant(case, body=body), f"{bad!r} in a field name at {list(path)}")
    original = target if isinstance(target, str) else ""
    body = replaced(case.body, path, original + bad)
    return Hostile(variant(case, body=body), f"{bad!r} in the body at {list(path)}")


def with_raw_json(case, path, raw):
    """The case's JSON body with `raw` JSON text in place of the value at `path` (the whole body
    for `()`)."""
    body = case.body if not isinstance(case.body, NotSet) and case.body is not None else {}
    try:
        text = json.dumps(replaced(body, path, PLACEHOLDER))
    except TypeError:  # a body that is no JSON (a form's files): send the raw text alone
        text = json.dumps(PLACEHOLDER)
    return Hostile(
        case,
        f"{raw[:12]}… ({len(raw)} characters) at {list(path)}",
        raw=text.replace(json.dumps(PLACEHOLDER), raw).encode(),
    )


def hostile(case):
    """A strategy of hostile variants of `case`."""
    choices = [
        NUL_TEXT.map(lambda bad: with_text_in_url(case, "query", "search", bad)),
        NUL_TEXT.map(lambda bad: Hostile(case, f"{bad!r} in a header", headers={"X-Fuzz": f"a{bad}b"})),
        RAW_JSON.map(lambda raw: with_raw_json(case, (), raw)),
    ]
    for part in ("query", "path_parameters"):
        names = sorted(getattr(case, part) or {})
        if names:
            choices.append(
                strategies.tuples(strategies.sampled_from(names), NUL_TEXT).map(
                    lambda drawn, part=part: with_text_in_url(case, part, *drawn)
                )
            )
    body = case.body
    if not isinstance(body, NotSet) and isinstance(body, dict | list):
        paths = list(json_paths(body))
        is_json = "json" in (case.media_type or "")
        text = BAD_JSON_TEXT if is_json else NUL_TEXT
        choices.append(
            strategies.tuples(strategies.sampled_from(paths), text, strategies.booleans()).map(
                lambda drawn: with_text_in_body(case, *drawn)
            )
        )
        choices.append(
            strategies.tuples(strategies.sampled_from(paths), RAW_JSON_VALUES).map(
                lambda drawn: with_raw_json(case, *drawn)
            )
        )
    return strategies.one_of(*choices)


def test_hostile_input_is_a_clean_4xx_on_every_operation(fuzz_app, bearer, backend, counts):
    count = counted(counts, f"hostile-{backend}")

    def test(operation):
        @settings(max_examples=HOSTILE_EXAMPLES, **UNSHRUNK)
        @given(variant=operation.as_strategy(generation_mode=GenerationMode.POSITIVE).flatmap(hostile))
        def check(variant):
            count()
            response = variant.send(bearer)
            assert response.status_code < 500, f"{variant.what}: {response.status_code} {response.text[:300]}"
            assert response.headers.get("content-type", [""])[0].startswith("application/json"), variant.what

        check()

    assert run_each(operations(fuzz_app), test) >= 25


# --- the admin panel --------------------------------------------------------------------------------

# Percent-escapes a browser or a script might send: invalid UTF-8, a surrogate's bytes, NUL.
RAW_ESCAPES = strategies.sampled_from(["%00", "a%00b", "%ED%A0%80", "%FF%FE", "%C0%80", "%E2%82"])
NUMBERS = strategies.one_of(
    strategies.integers(),
    strategies.integers(min_value=-(10**30), max_value=10**30),
    strategies.sampled_from([HUGE_INTEGER, "-5", "1e9", "abc", "", "0x10", " 1"]),
).map(str)
TEXT = strategies.text(alphabet=strategies.characters(exclude_categories=("Cs",)), max_size=30)
ADMIN_QUERY = strategies.fixed_dictionaries(
    {},
    optional={
        "search": TEXT,
        "page": NUMBERS,
        "page_size": NUMBERS,
        "sort": NUMBERS,
        "desc": NUMBERS,
        "id": NUMBERS | TEXT,
        "flt0_0": TEXT,
        "flt1_12": NUMBERS,
        "url": TEXT,
        "next": TEXT,
        "count": NUMBERS,
    },
)
# Panel routes not fuzzed: its static files, and signing out (which would end the fuzzer's session).
ADMIN_SKIPPED = ("admin.static", "admin_auth.logout", "admin_auth.login")


def admin_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and rule.endpoint not in ADMIN_SKIPPED:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule


def argument_values(rule):
    """A strategy of path arguments for a rule: integers for `int`, the choices for `any`, export
    formats else (the only other argument the panel's routes take)."""
    values = {}
    for name, converter in rule._converters.items():
        if hasattr(converter, "items"):  # werkzeug's AnyConverter
            values[name] = strategies.sampled_from(sorted(converter.items))
        elif type(converter).__name__ == "IntegerConverter":
            values[name] = strategies.integers(min_value=0, max_value=10**25)
        else:
            values[name] = strategies.sampled_from(["csv", "json", "xls", "x"])
    return strategies.fixed_dictionaries(values)


def test_admin_views_never_fail(fuzz_app, backend, counts):
    count = counted(counts, f"admin-{backend}")
    client = fuzz_app.test_client()
    signed_in = client.post("/admin/login", data={"email": "fuzz-admin@example.com", "password": PASSWORD})
    assert signed_in.status_code == 303
    failures = []
    routes = list(admin_routes(fuzz_app))
    for method, rule in routes:
        try:
            fuzz_admin_route(client, method, rule, count)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - gather every failure, report them all
            failures.append(f"{method} {rule.rule}: {error}")
    assert len(routes) >= 20
    assert not failures, "\n\n".join(failures)


def fuzz_admin_route(client, method, rule, count):
    @settings(max_examples=ADMIN_EXAMPLES, **UNSHRUNK)
    @given(
        arguments=argument_values(rule),
        query=ADMIN_QUERY,
        escape=strategies.none() | RAW_ESCAPES,
        form=strategies.dictionaries(strategies.sampled_from(["count", "id", "rowid", "action", "url"]), NUMBERS),
    )
    def check(arguments, query, escape, form):
        count()
        path = rule.build(arguments, append_unknown=False)[1] if arguments else rule.rule
        query_string = urlencode(query)
        if escape is not None:
            query_string = f"{query_string}&search={escape}".lstrip("&")
        if method == "POST":
            response = client.post(path, query_string=query_string, data=form)
        else:
            response = client.open(path, method=method, query_string=query_string)
        assert response.status_code < 500, f"{method} {path}?{query_string} {form}: {response.status_code}"
        # Still signed in: nothing the fuzzer sends ends the session.
        assert "/admin/login" not in response.headers.get("Location", ""), f"{method} {path}?{query_string}"

    check()
