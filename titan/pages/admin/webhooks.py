"""The panel's webhook endpoints: list them, register one (its signing secret is shown once, on the
page that answers the form, as `POST /api/v1/webhooks` shows it once), change its URL, events,
description or active flag, and delete it.

The input goes through the API's schemas (`titan.webhooks.schemas`) and the change through
`titan.webhooks.services`, the URL's SSRF check included: the panel and the API accept and refuse
the same things. The panel only turns their errors into copy. The delivery log stays read-only
(`views.WebhookDeliveryView`)."""

from flask import abort, flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired

from titan.common.exceptions import NotFound, ServiceError
from titan.pages.admin.views import MAX_ID, AdminOnly
from titan.webhooks import services
from titan.webhooks.events import EVENTS
from titan.webhooks.schemas import WebhookCreateSchema, WebhookUpdateSchema

# What the panel says when a rule says no, keyed on the error's reason (the API keeps its wording).
SERVICE_COPY = {
    "webhook_private": (
        "Titan doesn't send webhooks to private, loopback or reserved addresses (127.0.0.1, 10.x, "
        "localhost and the like): use the receiver's public address."
    ),
    "webhook_host": "Enter the URL with a host name, and without a user name or password.",
    "webhook_unresolvable": "This host name doesn't resolve: check the URL's spelling.",
    "webhook_not_found": "This webhook endpoint no longer exists.",
}
# What the panel says when the API's schema refuses a field.
FIELD_COPY = {
    "url": "Enter the full URL, like https://hooks.example.com/titan (at most 2,048 characters).",
    "events": "Tick one or more of the events listed.",
    "description": "Keep the description to 200 characters.",
    "is_active": "Tick the box or leave it empty.",
}


def copy_for(error):
    return SERVICE_COPY.get(error.reason, error.message)


def stripped(value):
    return value.strip() if isinstance(value, str) else value


class EventsField(SelectMultipleField):
    """The events as checkboxes. Which names are valid is the API schema's rule, not the field's."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label, **kwargs):
        super().__init__(label, choices=[SelectChoice(event) for event in EVENTS], validate_choice=False, **kwargs)


class WebhookForm(FlaskForm):
    url = StringField(
        "URL",
        filters=[stripped],
        render_kw={"placeholder": "https://hooks.example.com/titan", "autocomplete": "off", "spellcheck": "false"},
    )
    events = EventsField("Events")
    description = StringField("Description (optional)", filters=[stripped])


class WebhookEditForm(WebhookForm):
    is_active = BooleanField("Active: deliver events to this endpoint")


class DeleteWebhookForm(FlaskForm):
    confirm = BooleanField(
        "Yes, delete this endpoint and its delivery log",
        validators=[DataRequired("Tick the box to confirm the deletion.")],
    )


def load(schema, form, names):
    """The form's values through the API's schema, or None with each refused field's copy added."""
    values = {name: getattr(form, name).data for name in names}
    try:
        # A field the browser did not send is left to the schema (required, or its default).
        return schema.load({name: value for name, value in values.items() if value is not None})
    except ValidationError as error:
        for name in error.messages:
            getattr(form, name).errors.append(FIELD_COPY.get(name, "Check this field."))
        return None


def show_service_error(form, error):
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors.append(copy_for(error))
    else:
        flash(copy_for(error), "error")


class WebhooksView(AdminOnly, BaseView):
    @expose("/")
    def index(self):
        return self.render("admin/webhooks.html", endpoints=services.list_endpoints())

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        form = WebhookForm()
        if form.validate_on_submit():
            data = load(WebhookCreateSchema(), form, ("url", "events", "description"))
            if data is not None:
                try:
                    endpoint = services.create_endpoint(**data)
                except ServiceError as error:
                    show_service_error(form, error)
                else:
                    # The secret is on this page only: never in a flash message (the session cookie).
                    page = self.render("admin/webhook_created.html", endpoint=endpoint)
                    return page, 201, {"Cache-Control": "no-store"}
        return self.render("admin/webhook_form.html", form=form, endpoint=None), 400 if form.errors else 200

    @expose(f"/<int(min=1, max={MAX_ID}):endpoint_id>/", methods=["GET", "POST"])
    def edit(self, endpoint_id):
        endpoint = self.endpoint_or_404(endpoint_id)
        form = WebhookEditForm(obj=endpoint)
        if form.validate_on_submit():
            names = ["events", "description", "is_active"]
            if form.url.data != endpoint.url:
                names.append("url")  # an unchanged URL is not checked (nor resolved) again
            changes = load(WebhookUpdateSchema(), form, names)
            if changes is not None:
                try:
                    services.update_endpoint(endpoint_id, changes)
                except NotFound:
                    abort(404)
                except ServiceError as error:
                    show_service_error(form, error)
                else:
                    flash(f"Webhook endpoint {endpoint_id} is saved.", "success")
                    return redirect(url_for(".index"), code=303)
        return self.render(
            "admin/webhook_form.html", form=form, endpoint=endpoint, delete_form=DeleteWebhookForm(formdata=None)
        ), (400 if form.errors else 200)

    @expose(f"/<int(min=1, max={MAX_ID}):endpoint_id>/delete", methods=["POST"])
    def delete(self, endpoint_id):
        form = DeleteWebhookForm()
        if not form.validate_on_submit():
            for message in form.confirm.errors:
                flash(message, "error")
            return redirect(url_for(".edit", endpoint_id=endpoint_id), code=303)
        try:
            services.delete_endpoint(endpoint_id)
        except ServiceError as error:
            flash(copy_for(error), "error")
        else:
            flash(f"Webhook endpoint {endpoint_id} is deleted, with its delivery log.", "success")
        return redirect(url_for(".index"), code=303)

    @staticmethod
    def endpoint_or_404(endpoint_id):
        try:
            return services.endpoint_by_id(endpoint_id)
        except NotFound:
            abort(404)
