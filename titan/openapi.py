"""What the OpenAPI document says beyond the routes themselves: security schemes and the
decisions this service made where its contract left a choice."""

DESCRIPTION = """
Titan runs a pre-launch **waitlist with referrals**, **accounts** (email + password, OAuth2
password grant, phone + SMS code), **referral codes**, a pay-per-operation **calculator** and
**market data** (the Titan demo portfolio against the S&P 500).

## Reading and trying this reference
In ReDoc (`/docs`) each operation lists its parameters and responses, and the panel on the right
shows an example request body and an example of every response, errors included. ReDoc only
reads: to send requests, signed in or not, open the same reference in Swagger UI at
[`/swagger`](/swagger), whose **Authorize** button signs in with your email or username and
password and adds the token to every call you try.

## Authentication
Get tokens from `POST /api/v1/auth/token` (OAuth2 password grant, form or JSON) or
`POST /api/v1/auth/phone/token`, then send
`Authorization: Bearer <access token>`. Access tokens live 15 minutes, refresh tokens 14 days
(settings). `POST /api/v1/auth/logout` revokes tokens in the database: every worker refuses them,
also after a restart. Invalid, expired or revoked tokens answer **401**.

## Errors
Every error is JSON: `{"code": 404, "status": "Not Found", "message": "..."}`; invalid input is
**400** with `"errors": {"json": {"field": ["message"]}}` (or `"query"`). The waitlist routes the
single-page app speaks (`/api/join/`, `/api/user/...`, `/api/chart/`) answer invalid input as that
app expects, `{"email": ["Enter a valid email address."]}`, and add `"detail"` to other errors.
Bodies over 1 MB answer 413; too many requests answer 429 with `Retry-After`.

## Lists
List routes take `page` (from 1) and `per_page` (default 20, at most 100) and answer
`{"items": [...], "total": n, "page": p, "per_page": k, "pages": m}`.

## Choices this service made
- Emails compare case-insensitively and, at gmail.com/googlemail.com, without dots and `+tags`:
  those spellings are one person, whichever sign-up path they use.
- Usernames are 3-30 characters (letters, digits, `_`, `.`, `-`), compared case-insensitively and
  stored lower-case; they never contain `@`, so `username` in the token request is unambiguous.
- Codes (invite and referral) compare case-insensitively and are shown upper-case. Invite codes
  are 8 characters from `23456789ABCDEFGHJKMNPQRSTUVWXYZ`.
- Registering with an email that is already on the waitlist answers 409, like any duplicate.
- `invited` in `GET /api/v1/users/{id}` lists the 100 most recent invitees; all of them are in
  `GET /api/v1/referrals/{referrer_id}`.
- Phone sign-in of an existing user with `invite_code`: your own code is refused (400); for a user
  who already has a referrer the invite is ignored; otherwise it sets the referrer once.
"""


def spec_options():
    return {
        "info": {"description": DESCRIPTION.strip()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token from /api/v1/auth/token or /api/v1/auth/phone/token.",
                },
                "refreshToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A refresh token (only for /api/v1/auth/refresh).",
                },
                "oauth2": {
                    "type": "oauth2",
                    "description": "OAuth2 password grant: Swagger UI's Authorize signs in with email or username.",
                    "flows": {"password": {"tokenUrl": "/api/v1/auth/token", "scopes": {}}},
                },
            }
        },
    }
