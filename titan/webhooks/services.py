"""Registering webhook endpoints (admins only; the routes check that)."""

import secrets

from sqlalchemy import func, select

from titan.common.exceptions import NotFound
from titan.common.pagination import paginate
from titan.common.transactions import after_commit, commit
from titan.extensions import db
from titan.webhooks.events import forget_endpoints
from titan.webhooks.models import WebhookDelivery, WebhookEndpoint
from titan.webhooks.targets import check_target

SECRET_PREFIX = "whsec_"


def create_endpoint(url, events, description=""):
    check_target(url)
    endpoint = WebhookEndpoint(
        url=url, events=sorted(set(events)), description=description, secret=SECRET_PREFIX + secrets.token_hex(24)
    )
    db.session.add(endpoint)
    after_commit(forget_endpoints)
    commit()
    return endpoint


def endpoint_by_id(endpoint_id):
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("webhook_not_found", "Webhook endpoint not found")
    return endpoint


def list_endpoints():
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def update_endpoint(endpoint_id, changes):
    endpoint = endpoint_by_id(endpoint_id)
    if "url" in changes:
        check_target(changes["url"])
        endpoint.url = changes["url"]
    if "events" in changes:
        endpoint.events = sorted(set(changes["events"]))
    for field in ("is_active", "description"):
        if field in changes:
            setattr(endpoint, field, changes[field])
    after_commit(forget_endpoints)
    commit()
    return endpoint


def delete_endpoint(endpoint_id):
    db.session.delete(endpoint_by_id(endpoint_id))
    after_commit(forget_endpoints)
    commit()


def list_deliveries(endpoint_id, page, per_page):
    endpoint_by_id(endpoint_id)
    statement = (
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.id.desc())
    )
    return paginate(statement, page, per_page)


def delivery_counts():
    """`{status: count}` over all deliveries (the admin dashboard)."""
    rows = db.session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
    return dict(rows.all())
