"""Turning a waitlist (or phone) member into an account holder: the activation link sets a password.
The user keeps their id, invite code, referrals and records; the link proves their address."""

from titan.auth.invites import invite_only, still_waiting
from titan.common.transactions import commit
from titan.members import links
from titan.members.accounts import already_taken, username_taken
from titan.members.confirmation import prove_address
from titan.members.events import member_event
from titan.members.passwords import hash_password


def activate(token, password, username=None):
    """Set the password of the member the activation link was sent to; returns the user."""
    user, _ = links.read_link(token, links.ACTIVATE, lock=True)
    if still_waiting(user):
        raise invite_only()
    if username and username != user.username:
        if username_taken(username, exclude_user_id=user.id):
            raise already_taken("username")
        user.username = username
    user.password_hash = hash_password(password)
    prove_address(user)
    member_event("account.activated", user.id)
    commit()
    return user
