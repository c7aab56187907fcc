from flask.views import MethodView

from titan.api import ID, Blueprint, path_parameter
from titan.common.guards import auth_required
from titan.common.pagination import PageArgsSchema, page_schema
from titan.webhooks import services
from titan.webhooks.schemas import (
    DeliverySchema,
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookSchema,
    WebhookUpdateSchema,
)

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Admins register endpoints that receive signed events (README: Webhooks has how to verify them).",
)
WEBHOOK = {
    "id": 3,
    "url": "https://hooks.example.com/titan",
    "events": ["referral.counted", "waitlist.joined"],
    "description": "CRM sync",
    "is_active": True,
    "created_at": "2026-12-03T12:00:00+00:00",
}
DELIVERY = {
    "id": 41,
    "event_id": "evt_5b1c0e4f9a8d4e7b9c2a1f0e3d4c5b6a",
    "event_type": "referral.counted",
    "status": "delivered",
    "attempts": 1,
    "response_status": 200,
    "last_error": None,
    "created_at": "2026-12-03T12:05:00+00:00",
    "delivered_at": "2026-12-03T12:05:01+00:00",
}


@blp.route("/")
class Webhooks(MethodView):
    @auth_required(admin=True)
    @blp.response(200, WebhookSchema(many=True), example=[WEBHOOK])
    def get(self):
        """Every webhook endpoint.

        Secrets are shown only when an endpoint is created, never in this list.
        """
        return services.list_endpoints()

    @auth_required(admin=True)
    @blp.arguments(
        WebhookCreateSchema, example={"url": "https://hooks.example.com/titan", "events": ["referral.counted"]}
    )
    @blp.response(201, WebhookCreatedSchema, example={**WEBHOOK, "secret": "whsec_9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"})
    def post(self, data):
        """Register an endpoint; the answer holds its signing secret, shown this once.

        The URL must be `https://` in production and may not point at a private, loopback or
        link-local address (unless WEBHOOKS_ALLOW_PRIVATE): 400 `errors.json.url` otherwise.
        """
        return services.create_endpoint(**data)


ENDPOINT_ID = [path_parameter("endpoint_id", "The endpoint's id.")]


@blp.route(f"/<{ID}:endpoint_id>", parameters=ENDPOINT_ID)
class WebhookById(MethodView):
    @auth_required(admin=True)
    @blp.response(200, WebhookSchema, example=WEBHOOK)
    def get(self, endpoint_id):
        """One endpoint.

        Its URL, events, description and whether it is active (not its secret).
        """
        return services.endpoint_by_id(endpoint_id)

    @auth_required(admin=True)
    @blp.arguments(WebhookUpdateSchema, example={"is_active": False})
    @blp.response(200, WebhookSchema, example={**WEBHOOK, "is_active": False})
    def patch(self, changes, endpoint_id):
        """Change an endpoint.

        Its URL (checked as on creation), events or description, or switch it off with
        `is_active: false`: deliveries still waiting then fail instead of being sent.
        """
        return services.update_endpoint(endpoint_id, changes)

    @auth_required(admin=True)
    @blp.response(204)
    def delete(self, endpoint_id):
        """Remove an endpoint.

        Its delivery log goes with it; deliveries still waiting are not sent.
        """
        services.delete_endpoint(endpoint_id)


@blp.route(f"/<{ID}:endpoint_id>/deliveries", parameters=ENDPOINT_ID)
@auth_required(admin=True)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(
    200,
    page_schema(DeliverySchema),
    example={"items": [DELIVERY], "total": 1, "page": 1, "per_page": 20, "pages": 1},
)
def deliveries(args, endpoint_id):
    """The endpoint's delivery log.

    Newest first: each event with its status (`pending` while retrying, `delivered`, `failed`),
    attempts, and the last HTTP status or error.
    """
    return services.list_deliveries(endpoint_id, **args)
