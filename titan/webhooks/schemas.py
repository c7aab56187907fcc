import marshmallow as ma
from marshmallow import validate

from titan.webhooks.events import EVENTS

EVENTS_HELP = "Events to deliver: " + ", ".join(f"`{event}`" for event in EVENTS) + "."


def url_field(**kwargs):
    return ma.fields.Url(
        schemes={"https", "http"},
        require_tld=False,
        validate=validate.Length(max=2048),
        metadata={"description": "Where to POST events: `https://` in production; no private or loopback address."},
        **kwargs,
    )


def events_field(**kwargs):
    return ma.fields.List(
        ma.fields.String(validate=validate.OneOf(EVENTS)),
        validate=validate.Length(min=1, max=len(EVENTS)),
        metadata={"description": EVENTS_HELP},
        **kwargs,
    )


class WebhookCreateSchema(ma.Schema):
    url = url_field(required=True)
    events = events_field(required=True)
    description = ma.fields.String(load_default="", validate=validate.Length(max=200))


class WebhookUpdateSchema(ma.Schema):
    url = url_field()
    events = events_field()
    description = ma.fields.String(validate=validate.Length(max=200))
    is_active = ma.fields.Boolean(metadata={"description": "`false` stops deliveries (pending ones fail)."})


class WebhookSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String())
    description = ma.fields.String()
    is_active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = ma.fields.String(
        metadata={"description": "Signs every delivery (`Titan-Signature`). Shown only in this answer: keep it."}
    )


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    event_id = ma.fields.String()
    event_type = ma.fields.String()
    status = ma.fields.String(metadata={"description": "`pending` (retrying), `delivered` or `failed`."})
    attempts = ma.fields.Integer()
    response_status = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    delivered_at = ma.fields.DateTime(allow_none=True)
