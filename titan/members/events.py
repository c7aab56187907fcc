"""The member events webhooks deliver (docs/contract.md §10): `data` is the member (`id`, `email`,
`referral_code`, `wait_list_position`), with the referrer's `id` and `referral_code` for referral
events, read from the database in the transaction that caused the event (the body is built only
when some endpoint takes the event)."""

from sqlalchemy import select

from titan.extensions import db
from titan.members import ranking
from titan.members.models import WAITLIST_WAITING, User
from titan.webhooks.events import emit

MEMBER_COLUMNS = (User.id, User.email, User.invite_code, User.waitlist_status, User.waitlist_boost)


def member_payload(user_id):
    row = db.session.execute(select(*MEMBER_COLUMNS).where(User.id == user_id)).one()
    position = ranking.database_position(row) if row.waitlist_status == WAITLIST_WAITING else None
    return {"id": row.id, "email": row.email, "referral_code": row.invite_code, "wait_list_position": position}


def member_event(event_type, user_id, referrer_id=None):
    def data():
        payload = member_payload(user_id)
        if referrer_id is not None:
            referrer = db.session.execute(select(User.id, User.invite_code).where(User.id == referrer_id)).one()
            payload["referrer"] = {"id": referrer.id, "referral_code": referrer.invite_code}
        return payload

    emit(event_type, data)
