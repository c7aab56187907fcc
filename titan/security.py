"""Security headers on every response: a strict CSP without inline script for pages, none at all
for JSON, and framing forbidden everywhere."""

from flask import current_app, request

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)
# ReDoc and Swagger UI set styles inline and ReDoc searches in a blob: worker; scripts stay 'self'.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/swagger")


def apply_security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html":
        policy = (
            DOCS_POLICY if request.path.startswith(DOCS_PATHS) or request.path.startswith("/admin") else PAGE_POLICY
        )
    else:
        policy = API_POLICY
    headers.setdefault("Content-Security-Policy", policy)
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
