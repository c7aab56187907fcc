"""The silent per-address throttle on mail a visitor can make Titan send (a confirmation link again,
a sign-in link, a password reset, an activation link): at most VISITOR_MAIL_PER_MINUTE a minute and
VISITOR_MAIL_PER_DAY a day to one address. It never changes the answer (202 either way: a different
one would tell who has an account) and holds whether rate limits are on or off. Counted in the
database, so every worker sees the same counts."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from titan.common.contacts import email_identity
from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import VisitorMail

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def may_send(address, kind):
    """Record a mail of `kind` to `address` and answer True, or answer False if the address had its
    share. Call it holding the recipient's row lock, so two requests at once cannot both pass."""
    key = email_identity(address)
    now = utcnow()
    db.session.execute(delete(VisitorMail).where(VisitorMail.address == key, VisitorMail.sent_at <= now - DAY))
    last_minute, last_day = db.session.execute(
        select(
            func.count().filter(VisitorMail.sent_at > now - MINUTE),
            func.count(),
        ).where(VisitorMail.address == key)
    ).one()
    config = current_app.config
    if last_minute >= config["VISITOR_MAIL_PER_MINUTE"] or last_day >= config["VISITOR_MAIL_PER_DAY"]:
        return False
    db.session.add(VisitorMail(address=key, kind=kind, sent_at=now))
    return True
