"""What every route shares: the error envelope, docs, health probes, headers, the CLI."""

import re

import pytest

from titan.members.models import User


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "status": "Not Found", "message": response.get_json()["message"]}


def test_unknown_page_is_html_404(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"Traceback" not in response.data


def test_wrong_method_is_json_405(client):
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405


def test_body_over_one_megabyte_is_json_413(client):
    response = client.post("/api/v1/auth/register", data="x" * (1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


def test_unexpected_error_is_json_500_without_traceback(make_app, monkeypatch):
    app = make_app()

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("titan.auth.login.authenticate", explode)
    response = app.test_client().post("/api/v1/auth/token", data={"username": "a", "password": "b"})
    assert response.status_code == 500
    assert response.get_json()["code"] == 500
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_healthz_and_readyz(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {
        "database": "ok",
        "redis": "ok" if app.config["REDIS_URL"] else "not configured",
    }


def test_readyz_is_503_when_the_database_is_unreachable(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://postgres@127.0.0.1:1/none", REDIS_URL=None)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unavailable"


def test_api_call_is_503_json_when_the_database_is_unreachable(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://postgres@127.0.0.1:1/none", REDIS_URL=None)
    response = app.test_client().post("/api/v1/auth/token", data={"username": "a", "password": "b"})
    assert response.status_code == 503
    assert response.get_json()["code"] == 503 and response.headers["Retry-After"]


def test_openapi_document_describes_auth(client):
    spec = client.get("/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["oauth2"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    token_body = spec["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token_body
    me = spec["paths"]["/api/v1/users/me"]["get"]
    assert {"bearerAuth": []} in me["security"] and "401" in me["responses"]
    for path in ("/api/join/", "/api/user/{code}/", "/api/v1/auth/register", "/api/v1/referral-codes"):
        assert path in spec["paths"]


def test_every_api_route_is_in_the_openapi_document(app, client):
    documented = set(client.get("/openapi.json").get_json()["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule) in documented, rule.rule


@pytest.mark.parametrize(
    "path, asset",
    [
        ("/docs", "/static/vendor/redoc/redoc.standalone.js"),
        ("/swagger", "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
    ],
)
def test_docs_pages_load_only_local_assets(client, path, asset):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert asset in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "<script>" not in html  # no inline script: the CSP forbids it
    assert client.get(asset).status_code == 200


def test_security_headers(client):
    page = client.get("/docs")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    api = client.get("/healthz")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["X-Frame-Options"] == "DENY"


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)


def test_cors_only_for_configured_origins(make_app):
    app = make_app(CORS_ORIGINS=["https://app.titan.test"])
    client = app.test_client()
    allowed = client.get("/api/v1/users/me", headers={"Origin": "https://app.titan.test"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "https://app.titan.test"
    refused = client.get("/api/v1/users/me", headers={"Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_cli_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-admin", "--email", "Boss@Example.com", "--password", "s3cure-pass-99"]
    )
    assert result.exit_code == 0, result.output
    boss = User.query.filter_by(email="boss@example.com").one()
    assert boss.is_admin and boss.password_hash
    # Running it again promotes the same user instead of failing.
    assert (
        runner.invoke(
            args=["users", "create-admin", "--email", "boss@example.com", "--password", "an0ther-pass-77"]
        ).exit_code
        == 0
    )
    assert User.query.filter_by(email="boss@example.com").count() == 1
    weak = runner.invoke(args=["users", "create-admin", "--email", "x@example.com", "--password", "123"])
    assert weak.exit_code != 0


def test_production_refuses_to_start_without_secrets():
    from config import ProductionConfig
    from titan import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY="dev-only-insecure-secret-change-me-in-production")
    with pytest.raises(RuntimeError, match="JWT_SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY="s" * 40, JWT_SECRET_KEY="short")
    create_app(
        ProductionConfig,
        SECRET_KEY="s" * 40,
        JWT_SECRET_KEY="j" * 40,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        JOBS_MODE="inline",
    )


def test_json_log_lines_carry_the_request_id(app):
    import json
    import logging

    from titan.logs import JsonFormatter, RequestContextFilter

    with app.test_request_context("/healthz", headers={"X-Request-ID": "trace-42"}):
        app.preprocess_request()
        record = logging.LogRecord("titan.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        RequestContextFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world" and line["request_id"] == "trace-42" and line["level"] == "INFO"
