"""A member's data: everything Titan stores about them, as JSON, and erasing it.

Erasing keeps the row (its id keeps the ledger and the referral graph whole) but empties every
personal field, revokes every token and referral code, and takes the member off the waitlist; the
ledger stays, anonymised, and referrals already counted stay counted. The address is free again:
it can join later as a new person."""

from sqlalchemy import delete, select, update

from titan.auth.models import PhoneCode
from titan.auth.tokens import revoke_all
from titan.calculator.models import Operation, Record
from titan.common.exceptions import InvalidInput
from titan.common.transactions import after_commit, commit
from titan.common.types import utcnow
from titan.extensions import db
from titan.jobs import enqueue
from titan.members import links, ranking
from titan.members.codes import forget_cached_code
from titan.members.mail import send_delete_link
from titan.members.models import (
    CODE_ACTIVE,
    CODE_REVOKED,
    REFERRAL_COUNTED,
    REFERRAL_PENDING,
    ReferralCode,
    User,
    VisitorMail,
)
from titan.members.passwords import password_matches
from titan.members.standing import member_of, user_data
from titan.members.throttle import may_send

PROFILE_FIELDS = (
    "id", "email", "pending_email", "email_confirmed_at", "phone", "username", "first_name", "last_name",
    "company", "location", "avatar_url", "invite_code", "signup_code", "waitlist_status", "joined_waitlist_at",
    "admitted_at", "balance", "is_admin", "mail_opt_out", "created_at",
)  # fmt: skip


def export(user):
    """Everything Titan stores about `user` (no password hash: a hash is not the user's data, and
    exporting it would only help someone guessing the password)."""
    referrer = db.session.get(User, user.referred_by_id) if user.referred_by_id else None
    referred = db.session.execute(
        select(User.id, User.username, User.created_at, User.referral_state)
        .where(User.referred_by_id == user.id)
        .order_by(User.id)
    ).all()
    codes = db.session.scalars(select(ReferralCode).where(ReferralCode.owner_id == user.id).order_by(ReferralCode.id))
    records = db.session.execute(
        select(Record, Operation.type).join(Operation).where(Record.user_id == user.id).order_by(Record.id)
    ).all()
    waitlist = user_data(member_of(user)) if user.waitlist_status else None
    return {
        "profile": {field: getattr(user, field) for field in PROFILE_FIELDS},
        "waitlist": waitlist,
        "referred_by": {"id": referrer.id, "invite_code": referrer.invite_code} if referrer else None,
        "referred": [
            {
                "id": row.id,
                "username": row.username,
                "joined_at": row.created_at,
                "counted": row.referral_state == REFERRAL_COUNTED,
            }
            for row in referred
        ],
        "referral_codes": [
            {"code": code.code, "status": code.status, "expires_at": code.expires_at, "created_at": code.created_at}
            for code in codes
        ],
        "records": [
            {
                "id": record.id,
                "operation": operation_type,
                "amount": record.amount,
                "user_balance": record.user_balance,
                "operation_response": record.operation_response,
                "created_at": record.created_at,
                "deleted_at": record.deleted_at,
            }
            for record, operation_type in records
        ],
        "exported_at": utcnow(),
    }


def request_deletion(user, password=None, token=None):
    """Erase `user` when they prove it: their password, or (without one) a deletion link. Without
    a password and with an address, a first call mails the link: returns False (nothing erased yet)."""
    if user.password_hash:
        if not password or not password_matches(user.password_hash, password):
            raise InvalidInput("password_wrong", "Your password is not correct.", field="password")
    elif token is not None:
        linked, _ = links.read_link(token, links.DELETE, lock=True)
        if linked.id != user.id:
            raise links.invalid_link()
    elif user.email:
        if may_send(user.email, "delete"):
            enqueue(send_delete_link, user_id=user.id)
        commit()
        return False
    erase(user)
    return True


def erase_by_link(token):
    """The page behind a deletion link: erase the member it was sent to."""
    user, _ = links.read_link(token, links.DELETE, lock=True)
    erase(user)


def erase(user):
    was_member, invite_code = user.waitlist_status is not None, user.invite_code
    pending_referrer = user.referred_by_id if user.referral_state == REFERRAL_PENDING else None
    codes = list(
        db.session.scalars(
            update(ReferralCode)
            .where(ReferralCode.owner_id == user.id, ReferralCode.status == CODE_ACTIVE)
            .values(status=CODE_REVOKED, revoked_at=utcnow())
            .returning(ReferralCode.code)
            .execution_options(synchronize_session=False)
        )
    )
    if user.phone:
        db.session.execute(delete(PhoneCode).where(PhoneCode.phone == user.phone))
    if user.email_identity:  # the mail throttle's log is keyed on the address: it goes too
        db.session.execute(delete(VisitorMail).where(VisitorMail.address == user.email_identity))
    revoke_all(user)
    for field in ("email", "email_identity", "pending_email", "phone", "username", "password_hash"):
        setattr(user, field, None)
    for field in ("company", "location", "avatar_url", "email_confirmed_at", "waitlist_status"):
        setattr(user, field, None)
    user.first_name = user.last_name = ""
    user.is_active, user.mail_opt_out, user.show_on_leaderboard = False, True, False
    if pending_referrer is not None:  # it can never count now: the friend is gone
        user.referred_by_id = user.referral_state = user.signup_code = None
    user_id = user.id
    if was_member:
        after_commit(lambda: ranking.record_removed([(user_id, invite_code)]))
    if pending_referrer is not None:
        after_commit(lambda: ranking.record_pending_referral(pending_referrer, -1))
    for code in codes:
        after_commit(lambda code=code: forget_cached_code(code))
    commit()
