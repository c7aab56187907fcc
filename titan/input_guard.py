"""The input guard: what no request may carry, refused in one place with a 400.

- JSON bodies are parsed by `loads` (the argument parser's and `app.json`'s parser alike): nesting
  deeper than MAX_JSON_DEPTH, number literals longer than MAX_NUMBER_LENGTH (Python refuses integers
  past 4,300 digits with a ValueError, not a decoding error), non-finite numbers and NaN/Infinity are
  invalid JSON, like any unparsable body.
- Text may not hold NUL or an unpaired surrogate (PostgreSQL refuses NUL in text, and neither can be
  encoded as UTF-8): `first_bad_text` finds them in parsed input (the argument parser checks every
  location it loads, so every schema is covered), and `check_request` (a before_request hook) refuses
  them in the path, the query string, form fields and headers before any view, page or admin view
  reads them, and refuses a malformed Host header.

`check_request` answers in the route's error shape (titan.errors): field errors under the location
for the query string and forms, a message otherwise; the error page for pages.
"""

import json
import math
import re
from collections.abc import Mapping

from flask import request
from flask.json.provider import DefaultJSONProvider
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadHost, BadRequest

MAX_JSON_DEPTH = 64
MAX_NUMBER_LENGTH = 100
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
BAD_TEXT_MESSAGE = "Must not contain NUL characters or unpaired surrogates."
BAD_PATH_MESSAGE = "The address contains characters that are not allowed (NUL or unpaired surrogates)."
BAD_HEADER_MESSAGE = "A request header contains a NUL character."
BAD_HOST_MESSAGE = "The Host header is malformed."
# What a Host header may be: a name (underscores too, as container names have them), an IPv4
# address or an IPv6 literal, with an optional port. Werkzeug checks the same (without `_`) but
# then treats a bad one as absent; a name it cannot IDNA-encode (a label over 63 characters, an
# empty label) leaves the request without a URL adapter.
HOST = re.compile(r"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?", re.ASCII)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InvalidJSON(json.JSONDecodeError):
    """Parsable in principle, refused here (too deep, too long a number)."""

    def __init__(self, message, doc):
        super().__init__(message, doc if isinstance(doc, str) and doc else "<body>", 0)


class _Refused(ValueError):
    pass


def _parse_int(literal):
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _Refused(f"number literal longer than {MAX_NUMBER_LENGTH} characters")
    return int(literal)


def _parse_float(literal):
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _Refused(f"number literal longer than {MAX_NUMBER_LENGTH} characters")
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused("number out of range")
    return value


def _refuse_constant(name):
    raise _Refused(f"{name} is not JSON")


def _count(doc, bracket):
    return doc.count(bracket if isinstance(doc, str) else bracket.encode())


def loads(doc, **kwargs):
    """`json.loads` with bounds: raises json.JSONDecodeError (a ValueError) for what it refuses."""
    try:
        value = json.loads(
            doc, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant, **kwargs
        )
    except _Refused as error:
        raise InvalidJSON(str(error), doc) from None
    except RecursionError:
        raise InvalidJSON("nested too deeply", doc) from None
    # Counting brackets (done in C) spares the walk for every body that cannot be that deep.
    if _count(doc, "[") + _count(doc, "{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise InvalidJSON(f"nested deeper than {MAX_JSON_DEPTH} levels", doc)
    return value


def _deeper_than(value, limit):
    if not isinstance(value, dict | list):
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class GuardedJSONProvider(DefaultJSONProvider):
    """`app.json` with the bounded parser, for `request.get_json()`."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)


def is_bad_text(value):
    return isinstance(value, str) and BAD_TEXT.search(value) is not None


def first_bad_text(data):
    """The name of the first top-level field whose value (or name) holds NUL or an unpaired
    surrogate, `_schema` when the data itself is such a string or list; None when all is well.
    Takes parsed JSON (at most MAX_JSON_DEPTH deep), dicts, and (webargs' proxies of) werkzeug
    MultiDicts, every value of a repeated key included."""
    if isinstance(data, str):
        return "_schema" if is_bad_text(data) else None
    if isinstance(data, list):
        return "_schema" if any(_holds_bad_text(item) for item in data) else None
    if isinstance(data, MultiDictProxy):
        data = data.data
    if isinstance(data, Mapping):
        pairs = data.items(multi=True) if isinstance(data, MultiDict) else data.items()
        for key, value in pairs:
            if is_bad_text(key) or _holds_bad_text(value):
                return key if isinstance(key, str) and not is_bad_text(key) else "_schema"
    return None


def _holds_bad_text(value):
    if isinstance(value, str):
        return BAD_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(is_bad_text(key) or _holds_bad_text(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_bad_text(item) for item in value)
    return False


def refuse(message, errors=None):
    error = BadRequest(message)
    error.data = {"message": message, "errors": errors} if errors else {"message": message}
    raise error


def host_is_malformed():
    if isinstance(request.routing_exception, BadHost):
        return True
    header = request.environ.get("HTTP_HOST")
    if not header:
        return False
    match = HOST.fullmatch(header)
    return match is None or (match.group(1) is not None and not 0 < int(match.group(1)) <= 65535)


def check_request():
    """before_request: refuse a malformed Host, NUL in a header, and NUL or unpaired surrogates in
    the path, the query string or form fields."""
    if host_is_malformed():
        refuse(BAD_HOST_MESSAGE)
    environ = request.environ
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            refuse(BAD_HEADER_MESSAGE)
    if is_bad_text(request.path):
        refuse(BAD_PATH_MESSAGE)
    if environ.get("QUERY_STRING"):
        field = first_bad_text(request.args)
        if field is not None:
            refuse("Invalid input.", {"query": {field: [BAD_TEXT_MESSAGE]}})
    if request.mimetype in FORM_TYPES:
        field = first_bad_text(request.form)
        if field is not None:
            refuse("Invalid input.", {"form": {field: [BAD_TEXT_MESSAGE]}})


def init_input_guard(app):
    """Parse JSON with the bounded parser and check every request before its view runs."""
    provider = GuardedJSONProvider(app)
    for setting in ("sort_keys", "ensure_ascii", "compact", "mimetype"):
        setattr(provider, setting, getattr(app.json, setting))
    app.json = provider
    app.before_request(check_request)
