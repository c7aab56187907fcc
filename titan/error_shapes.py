"""The shapes of an error answer (titan.errors answers with them; titan.api documents them)."""

from http import HTTPStatus


def envelope(code, message=None, errors=None):
    payload = {"code": code, "status": HTTPStatus(code).phrase}
    payload["message"] = message or HTTPStatus(code).description or HTTPStatus(code).phrase
    if errors:
        payload["errors"] = errors
    return payload


def field_errors(errors):
    """Merge `{"json": {...}, "query": {...}}` into one `{"field": [...]}` mapping."""
    merged = {}
    for location_errors in errors.values():
        if isinstance(location_errors, dict):
            for field, messages in location_errors.items():
                merged.setdefault(field, []).extend(messages if isinstance(messages, list) else [messages])
        else:
            merged.setdefault("non_field_errors", []).extend(location_errors)
    return merged
