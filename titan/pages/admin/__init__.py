"""The admin panel at /admin: a session login for admins (`session`), the waitlist dashboard
(`dashboard`: admit the next N, export as CSV), background jobs (`jobs`), webhook endpoints
(`webhooks`: register, edit, delete) and read-only Flask-Admin views (`views`) of users, referral
codes, records and webhook deliveries. Every form posts with a CSRF token (the panel is not exempt from
CSRFProtect).
"""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from titan.calculator.models import Record
from titan.extensions import db
from titan.members.models import ReferralCode, User
from titan.pages.admin.dashboard import DashboardView
from titan.pages.admin.jobs import JobsView
from titan.pages.admin.session import auth_bp
from titan.pages.admin.views import RecordView, ReferralCodeView, UserView, WebhookDeliveryView
from titan.pages.admin.webhooks import WebhooksView
from titan.webhooks.models import WebhookDelivery


def init_admin(app):
    """Build the panel for this app. Flask-Admin views keep the app they were registered with, so
    each app (the tests build many) gets its own Admin rather than sharing a module-level one."""
    admin = Admin(
        app,
        name="Titan admin",
        # Bootstrap, jQuery and the icons are Flask-Admin's bundled copies, served from /admin/static.
        # The default swatch: most others @import Google Fonts, and no request may leave the machine.
        theme=Bootstrap4Theme(base_template="admin/titan_master.html", swatch="default", fluid=True),
        index_view=DashboardView(name="Waitlist"),
    )
    admin.add_views(
        UserView(User, db, name="Users"),
        ReferralCodeView(ReferralCode, db, name="Referral codes"),
        RecordView(Record, db, name="Records"),
        JobsView(name="Jobs", endpoint="jobs", url="/admin/jobs"),
        WebhooksView(name="Endpoints", endpoint="webhookendpoints", url="/admin/webhooks", category="Webhooks"),
        WebhookDeliveryView(WebhookDelivery, db, name="Deliveries", category="Webhooks"),
    )
    app.register_blueprint(auth_bp)
    return admin
