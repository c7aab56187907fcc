"""Profiles: changing your own, listing and viewing users, making admins."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from titan.common.contacts import email_identity
from titan.common.exceptions import Forbidden, NotFound
from titan.common.pagination import contains_any, ordered, paginate
from titan.common.transactions import commit, rollback
from titan.extensions import db
from titan.jobs import enqueue
from titan.members.accounts import (
    already_taken,
    check_email_allowed,
    create_user,
    duplicate_field,
    email_taken,
    username_taken,
)
from titan.members.codes import resolve_referral_code
from titan.members.confirmation import is_proven, send_confirmation_link
from titan.members.mail import send_email_change_notice
from titan.members.models import User
from titan.members.passwords import hash_password
from titan.members.referrals import credit_referral, referrer_already_set

INVITED_LIST_LIMIT = 100


class UserDetail:
    """A user and the people they invited (what `GET /users/{id}` shows)."""

    def __init__(self, user, invited):
        self.user = user
        self.invited = invited


def update_profile(user, changes):
    if "email" in changes and changes["email"] != user.email:
        request_email_change(user, changes["email"])
    if "username" in changes and changes["username"] != user.username:
        if username_taken(changes["username"], exclude_user_id=user.id):
            raise already_taken("username")
        user.username = changes["username"]
    for field in ("first_name", "last_name", "show_on_leaderboard"):
        if field in changes:
            setattr(user, field, changes[field])
    if "invited_by_code" in changes:
        if user.referred_by_id is not None:
            raise referrer_already_set("invited_by_code")
        referrer = resolve_referral_code(changes["invited_by_code"])
        credit_referral(user, referrer, changes["invited_by_code"], proven=is_proven(user), field="invited_by_code")
    try:
        commit()
    except IntegrityError as error:
        rollback()
        field = duplicate_field(error)
        if field is None:
            raise
        raise already_taken(field) from None
    return user


def request_email_change(user, address):
    """Keep the current address until the new one is confirmed by the link mailed to it; tell the
    current address. The new address must be free now, and still when it is confirmed."""
    check_email_allowed(address)
    if email_taken(address, exclude_user_id=user.id):
        raise already_taken("email")
    user.pending_email = address
    send_confirmation_link(user, address)
    if user.email:
        enqueue(send_email_change_notice, user_id=user.id, old_address=user.email, new_address=address)


def list_users(sort_by, direction, page, per_page, search=None):
    statement = select(User)
    if search:
        statement = statement.where(contains_any(search, User.email, User.phone, User.username, User.invite_code))
    return paginate(ordered(statement, getattr(User, sort_by), direction, User.id), page, per_page)


def user_detail(user_id, viewer):
    if viewer.id != user_id and not viewer.is_admin:
        raise Forbidden("not_yours", "You can only view your own account.")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "User not found")
    invited = db.session.scalars(
        select(User)
        .where(User.referred_by_id == user.id)
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(INVITED_LIST_LIMIT)
    ).all()
    return UserDetail(user, invited)


def create_admin(email, password):
    """Create an admin, or make an existing user with that email an admin (and set the password)."""
    user = db.session.scalar(select(User).where(User.email_identity == email_identity(email)))
    if user is None:
        user = create_user(email=email, password_hash=hash_password(password), is_admin=True)
    else:
        user.is_admin = True
        user.is_active = True
        user.password_hash = hash_password(password)
    commit()
    return user
