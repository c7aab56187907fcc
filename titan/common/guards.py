"""Route guards: a valid access token, optionally an admin's. They also document the bearer
requirement and the 401/403 answers in the OpenAPI document."""

from functools import wraps

from flask_jwt_extended import current_user, verify_jwt_in_request

from titan.api import Blueprint
from titan.common.exceptions import Forbidden


def auth_required(*, admin=False, refresh=False):
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            verify_jwt_in_request(refresh=refresh)
            if admin and not current_user.is_admin:
                raise Forbidden("admin_only", "Only admins may do this.")
            return view(*args, **kwargs)

        responses = {"401": "UNAUTHORIZED"}
        if admin:
            responses["403"] = "FORBIDDEN"
        scheme = "refreshToken" if refresh else "bearerAuth"
        return Blueprint.doc(security=[{scheme: []}, *([{"oauth2": []}] if not refresh else [])], responses=responses)(
            guarded
        )

    return decorator
