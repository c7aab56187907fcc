"""flask-smorest pieces shared by every API blueprint."""

import functools
import http

import flask_smorest
import marshmallow as ma
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from titan import error_shapes, input_guard
from titan.converters import CODE_PATTERN, CodeConverter

# How a blueprint answers errors (see titan.errors): the v1 envelope, or, for the routes the
# single-page app speaks, invalid input as `{"field": ["message"]}` and `detail` beside the envelope.
ENVELOPE = "envelope"
FIELD_ERRORS = "field_errors"

# Path ids: ids beyond a 32-bit integer name nothing, and refusing them in the URL keeps them away
# from the database (SQLite cannot even bind them). Use as f"/users/<{ID}:user_id>".
ID = "int(min=1, max=2147483647)"

# The shared error responses' examples (components/responses, which `alt_response(response=...)`
# and the guards refer to) show what the API answers most often with each status; other statuses
# show their standard description, as `titan.error_shapes.envelope` does. A FIELD_ERRORS blueprint refers
# to the `SPA_` twin of each, with `detail` (and 400 as field errors).
ERROR_EXAMPLE_MESSAGES = {
    400: "Invalid input.",
    401: "Missing or malformed Authorization header: use 'Bearer <access token>'.",
    402: "insufficient balance",
    403: "Only admins may do this.",
    404: "User not found",
    409: "A user with this email already exists.",
    429: "Too many requests (limit: 1 per 1 minute). Try again later.",
    503: "A backing service is unavailable; try again shortly.",
}
SPA_ERROR_EXAMPLE_MESSAGES = {
    401: "Join the waitlist or log in with your referral code first.",
    404: "Referral code not found",
}
ERROR_EXAMPLE_FIELDS = {
    400: {"json": {"email": ["Enter a valid email address."]}},
    409: {"json": {"email": ["A user with this email already exists."]}},
}
SPA_PREFIX = "SPA_"


def path_parameter(name, description):
    """The documentation of a path parameter, for `Blueprint.route(..., parameters=[...])`."""
    return {"in": "path", "name": name, "description": description}


def error_example(status, *, spa=False):
    """An error answer as `titan.errors` builds it: the envelope, or for a FIELD_ERRORS blueprint
    (`spa`) field errors for 400 and `detail` beside the envelope otherwise."""
    status = http.HTTPStatus(status)
    fields = ERROR_EXAMPLE_FIELDS.get(status)
    if spa and status == 400:
        return error_shapes.field_errors(fields)
    message = (spa and SPA_ERROR_EXAMPLE_MESSAGES.get(status)) or ERROR_EXAMPLE_MESSAGES.get(status)
    example = error_shapes.envelope(status, message, fields)
    if spa:
        example["detail"] = example["message"]
    return example


class ArgumentsParser(FlaskParser):
    # The contract answers invalid input with 400, not webargs' default 422.
    DEFAULT_VALIDATION_STATUS = 400

    def _get_schema(self, argmap, req):
        # webargs builds a new schema from a schema class on every request, which costs more than
        # the parsing itself; one instance per class serves every request (loading keeps no state).
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return schema_instance(argmap)
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        # The bounded parser (titan.input_guard): too deep a body or too long a number is
        # invalid JSON (400), not a RecursionError or ValueError (500).
        if not is_json_request(req):
            return core.missing
        return input_guard.loads(req.get_data(cache=True).decode("utf-8"))

    def _load_location_data(self, *, schema, req, location):
        # Every location of every schema, checked once here: no NUL or unpaired surrogate in any
        # string (or field name) reaches a schema, a service or the database.
        data = super()._load_location_data(schema=schema, req=req, location=location)
        field = input_guard.first_bad_text(data)
        if field is not None:
            raise ma.ValidationError({field: [input_guard.BAD_TEXT_MESSAGE]})
        return data


@functools.cache
def schema_instance(schema_class):
    return schema_class()


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint; `error_shape` (ENVELOPE or FIELD_ERRORS) says how its errors look."""

    ARGUMENTS_PARSER = ArgumentsParser()
    # `json_or_form` documents as a form (what Swagger UI's OAuth2 flow sends) and also takes JSON.
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/x-www-form-urlencoded",
    }

    def __init__(self, *args, error_shape=ENVELOPE, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_shape = error_shape
        if error_shape == FIELD_ERRORS:
            self._prepare_doc_cbks.append(self._prepare_field_errors_doc)

    @staticmethod
    def _prepare_field_errors_doc(doc, doc_info, **kwargs):
        """Refer to the `SPA_` twins of the shared error responses: the shapes this blueprint answers."""
        responses = doc.get("responses", {})
        for status, response in responses.items():
            if isinstance(response, str):
                responses[status] = SPA_PREFIX + response
        return doc


class ErrorSchema(ma.Schema):
    """The error envelope (documentation only; `titan.errors` builds it)."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code", "example": 404})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status phrase", "example": "Not Found"})
    message = ma.fields.String(
        metadata={"description": "What went wrong, for people", "example": "Referral code not found"}
    )
    errors = ma.fields.Dict(
        metadata={"description": 'Invalid input by location and field: `{"json": {"email": ["..."]}}`'}
    )
    detail = ma.fields.String(metadata={"description": "Same as `message`, on the waitlist (SPA) routes only"})


def code_parameter_schema(converter):
    """The OpenAPI schema of a `<code:...>` path parameter (titan.converters.CodeConverter)."""
    return {"type": "string", "pattern": f"^{CODE_PATTERN}$", "example": "K7M2QX9D"}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_converter(CodeConverter, code_parameter_schema)

    def _register_error_handlers(self):
        """Errors are handled by `titan.errors` for the whole app, pages included."""

    def _register_responses(self):
        """flask-smorest's shared responses, the error ones (and DEFAULT_ERROR) registered again with
        an example, and their `SPA_` twins. All lazily: only those referred to appear."""
        super()._register_responses()
        errors = {status.name: (status.phrase, status) for status in http.HTTPStatus if status >= 400}
        errors["DEFAULT_ERROR"] = ("Any other error (500 shown), in the same shape.", 500)
        for name, (description, status) in errors.items():
            for prefix, spa in (("", False), (SPA_PREFIX, True)):
                if spa and status == 400:
                    response = dict(SPA_INVALID_INPUT)
                else:
                    response = {"description": description, "schema": self.ERROR_SCHEMA}
                    response["example"] = error_example(status, spa=spa)
                    prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
                self.spec.components.response(prefix + name, response, lazy=True)


# Blueprints with FIELD_ERRORS answer invalid fields as `{"field": ["message"]}` (see titan.errors),
# and other bad requests (an expired code, nothing to look up) in the envelope with `detail`.
SPA_INVALID_INPUT = {
    "description": "Invalid input, as the single-page app expects it: field name → messages.",
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                    {"$ref": "#/components/schemas/Error"},
                ]
            },
            "example": {"email": ["Enter a valid email address."]},
        }
    },
}
