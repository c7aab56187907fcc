"""Errors the services raise; `titan.errors` turns them into the API's error responses."""


class ServiceError(Exception):
    status = 400

    def __init__(self, message, *, field=None, location="json", status=None, headers=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.location = location
        self.headers = headers or {}
        if status is not None:
            self.status = status

    @property
    def errors(self):
        return {self.location: {self.field: [self.message]}} if self.field else None


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
