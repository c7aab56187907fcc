"""Email addresses: confirming one by its link, sending the link again, and sign-in links (a waitlist
session proven by its email, so that it may see the member's full address)."""

from titan.auth.credentials import active_user_with_address
from titan.common.transactions import commit
from titan.common.types import utcnow
from titan.jobs import enqueue
from titan.members import links
from titan.members.confirmation import confirm_address, prove_address, send_confirmation_link
from titan.members.mail import send_sign_in_link
from titan.members.throttle import may_send


def confirm(token):
    """Confirm the address a link was sent to: `(user, already)`."""
    user, already = confirm_address(token)
    commit()
    return user, already


def resend_confirmation(email):
    """Send a fresh confirmation link to an unconfirmed address Titan knows. The caller answers 202
    either way. (A new address waiting for confirmation gets a fresh link by asking for it again.)"""
    user = active_user_with_address(email)
    if user is not None and not user.email_confirmed:
        send_confirmation_link(user, user.email)
    commit()


def request_sign_in_link(email):
    """Mail a sign-in link for the waitlist pages if Titan knows the address. The caller answers 202
    either way."""
    user = active_user_with_address(email)
    if user is not None and may_send(user.email, "sign-in"):
        enqueue(send_sign_in_link, user_id=user.id)
    commit()


def sign_in_by_link(token):
    """Use a sign-in link (once: links sent before it die with it); it proves the address too."""
    user, _ = links.read_link(token, links.SIGN_IN, lock=True)
    user.link_sign_in_at = utcnow()
    prove_address(user)
    commit()
    return user


def unsubscribe(token):
    """Stop the non-essential mail (the referrer notification) for the user an email went to."""
    user, _ = links.read_link(token, links.UNSUBSCRIBE, lock=True)
    user.mail_opt_out = True
    commit()
    return user
