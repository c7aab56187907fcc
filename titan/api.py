"""flask-smorest pieces shared by every API blueprint."""

import functools

import flask_smorest
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from titan import input_guard

# How a blueprint answers errors (see titan.errors): the v1 envelope, or, for the routes the
# single-page app speaks, invalid input as `{"field": ["message"]}` and `detail` beside the envelope.
ENVELOPE = "envelope"
FIELD_ERRORS = "field_errors"

# Path ids: ids beyond a 32-bit integer name nothing, and refusing them in the URL keeps them away
# from the database (SQLite cannot even bind them). Use as f"/users/<{ID}:user_id>".
ID = "int(min=1, max=2147483647)"


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


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Errors are handled by `titan.errors` for the whole app, pages included."""


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
