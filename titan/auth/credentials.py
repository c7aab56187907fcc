"""Passwords: forgot (a reset link by email), reset with the link, change while signed in. A reset
or a change revokes every token issued before, on every worker."""

from sqlalchemy import select

from titan.auth.tokens import issue_tokens, revoke_all
from titan.common.contacts import email_identity
from titan.common.exceptions import InvalidInput
from titan.common.transactions import commit
from titan.extensions import db
from titan.jobs import enqueue
from titan.members import links
from titan.members.confirmation import prove_address
from titan.members.mail import send_password_reset
from titan.members.models import User
from titan.members.passwords import hash_password, password_matches
from titan.members.throttle import may_send


def active_user_with_address(email):
    """The active user with this address, its row locked (None if Titan knows no such address)."""
    return db.session.scalar(
        select(User).where(User.email_identity == email_identity(email), User.is_active.is_(True)).with_for_update()
    )


def forgot_password(email):
    """Mail a reset link if Titan knows the address (with or without a password). The caller answers
    202 either way."""
    user = active_user_with_address(email)
    if user is not None and may_send(user.email, "reset"):
        enqueue(send_password_reset, user_id=user.id)
    commit()


def reset_password(token, password):
    """Set a new password with a reset link (which then stops working); revokes every earlier token."""
    user, _ = links.read_link(token, links.RESET, lock=True)
    user.password_hash = hash_password(password)
    prove_address(user)
    revoke_all(user)
    commit()
    return user


def change_password(user, current_password, new_password):
    """Change the password of the signed-in user; every other token is revoked. Returns fresh tokens."""
    if not password_matches(user.password_hash, current_password):
        raise InvalidInput("password_wrong", "Your current password is not correct.", field="current_password")
    user.password_hash = hash_password(new_password)
    revoke_all(user)
    commit()
    return issue_tokens(user)
