"""Events and their delivery. `emit` records one delivery per subscribed endpoint and queues its
job in the caller's transaction (a rolled-back change sends nothing); the job POSTs the body,
signed, and is retried by the worker with backoff until the endpoint answers 2xx.

Body: `{"id", "type", "created_at", "data"}`; headers `Titan-Signature: t=<unix>,v1=<hex>` (see
titan.webhooks.signing), `Titan-Event-Id`, `Content-Type: application/json`. Redirects are not
followed (a redirect could lead to an internal address)."""

import json
import time
import uuid

import requests
from flask import current_app
from sqlalchemy import select

from titan.common.exceptions import ServiceError
from titan.common.transactions import commit
from titan.common.types import utcnow
from titan.extensions import db, job_queue
from titan.jobs import enqueue_many, job
from titan.webhooks.models import WebhookDelivery, WebhookEndpoint
from titan.webhooks.signing import signature
from titan.webhooks.targets import check_target

EVENTS = ("waitlist.joined", "waitlist.confirmed", "referral.counted", "waitlist.admitted", "account.activated")
ERROR_LENGTH = 500


class DeliveryFailed(Exception):
    """The endpoint did not take the event (the worker retries)."""


ACTIVE_ENDPOINTS = select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.is_active)
ENDPOINTS_COPY = "titan_webhook_endpoints"


def active_endpoints():
    """This process's copy of the active endpoints and their events, read again when older than
    WEBHOOK_ENDPOINTS_CHECK_SECONDS: every join emits an event, and most installations have no
    endpoint at all, so the query is not asked per event. A change made in this process drops the
    copy at its commit (`forget_endpoints`); one made elsewhere is seen within the window."""
    read_at, endpoints = current_app.extensions.get(ENDPOINTS_COPY, (None, ()))
    now = time.monotonic()
    if read_at is None or now - read_at >= current_app.config["WEBHOOK_ENDPOINTS_CHECK_SECONDS"]:
        endpoints = tuple((row.id, frozenset(row.events)) for row in db.session.execute(ACTIVE_ENDPOINTS))
        current_app.extensions[ENDPOINTS_COPY] = (now, endpoints)
    return endpoints


def forget_endpoints():
    current_app.extensions.pop(ENDPOINTS_COPY, None)


def subscribers(event_type):
    """Ids of the active endpoints that take `event_type`, as this process last read them."""
    return [endpoint_id for endpoint_id, events in active_endpoints() if event_type in events]


def emit(event_type, data):
    """Record `event_type` with `data` for every endpoint that takes it; `data` may be a callable,
    called only when some endpoint does (building it can cost a query)."""
    endpoint_ids = subscribers(event_type)
    if not endpoint_ids:
        return
    # The copy may be older than a change made elsewhere: the database says which endpoints still
    # take the event, and FOR KEY SHARE keeps them from being deleted before this transaction ends.
    rows = db.session.execute(
        ACTIVE_ENDPOINTS.where(WebhookEndpoint.id.in_(endpoint_ids))
        .order_by(WebhookEndpoint.id)
        .with_for_update(read=True, key_share=True)
    )
    endpoint_ids = [row.id for row in rows if event_type in row.events]
    if not endpoint_ids:
        return
    payload = data() if callable(data) else data
    created_at = utcnow().isoformat()
    deliveries = []
    for endpoint_id in endpoint_ids:
        event_id = f"evt_{uuid.uuid4().hex}"
        body = json.dumps({"id": event_id, "type": event_type, "created_at": created_at, "data": payload})
        deliveries.append(WebhookDelivery(endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, body=body))
    db.session.add_all(deliveries)
    db.session.flush()
    enqueue_many(deliver, [{"delivery_id": delivery.id} for delivery in deliveries])


def give_up(delivery):
    """After the last attempt the worker will make (inline mode makes one)."""
    return job_queue.queue is None or delivery.attempts >= current_app.config["JOBS_MAX_ATTEMPTS"]


@job("webhook.deliver")
def deliver(delivery_id):
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    delivery.attempts += 1
    error, status = None, None
    if endpoint is None or not endpoint.is_active:
        error = "The endpoint was disabled."
    else:
        try:
            check_target(endpoint.url)
            response = requests.post(
                endpoint.url,
                data=delivery.body.encode(),
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "Titan-Webhooks/1",
                    "Titan-Event-Id": delivery.event_id,
                    "Titan-Signature": signature(endpoint.secret, int(time.time()), delivery.body),
                },
                timeout=current_app.config["WEBHOOK_TIMEOUT_SECONDS"],
                allow_redirects=False,
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"The endpoint answered {status}."
        except requests.RequestException as failure:
            error = f"{failure.__class__.__name__}: {failure}"
        except ServiceError as refused:  # the URL points somewhere it may not (now)
            error = refused.message
    delivery.response_status = status
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), None
        commit()
        return
    delivery.last_error = error[:ERROR_LENGTH]
    final = endpoint is None or not endpoint.is_active or give_up(delivery)
    if final:
        delivery.status = "failed"
    commit()
    if not final:
        raise DeliveryFailed(error)
