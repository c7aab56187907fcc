"""Every model, imported in one place so that Alembic sees the whole schema."""

from titan.auth.models import PhoneCode, RevokedToken
from titan.calculator.models import Operation, Record
from titan.jobs.models import JobFailure
from titan.market.models import Point, Series
from titan.members.models import MilestoneReward, ReferralCode, User, VisitorMail
from titan.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "User",
    "RevokedToken",
    "PhoneCode",
    "ReferralCode",
    "Operation",
    "Record",
    "Series",
    "Point",
    "JobFailure",
    "VisitorMail",
    "MilestoneReward",
    "WebhookEndpoint",
    "WebhookDelivery",
]
