"""Errors the services raise. Each carries a stable, machine-readable `reason` (`email_taken`,
`code_expired`, ...) that callers branch on, and the API's `message`; only `titan.errors` and the
pages turn them into HTTP responses and copy."""


class ServiceError(Exception):
    status = 400

    def __init__(self, reason, message, *, field=None, retry_after=None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        # The input the error is about (`email`, `referral_code`), if it is about one.
        self.field = field
        # Seconds after which trying again may succeed (an outside service was unavailable).
        self.retry_after = retry_after


class InvalidInput(ServiceError):
    status = 400


class Unauthorized(ServiceError):
    status = 401


class PaymentRequired(ServiceError):
    status = 402


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Unavailable(ServiceError):
    status = 503
