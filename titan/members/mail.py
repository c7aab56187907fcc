"""The emails members get. Each is sent by a job (titan.jobs) and rendered when it is sent, from the
database as it is then: a referrer's numbers are the ones after the referral counted, and a link's
state is the user's state when it leaves.

Essential mail (confirmation, activation, reset, sign-in and deletion links, admission, notices of
an address change) always goes. The rest (the referrer notification, a milestone reached) carries `List-Unsubscribe`
and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) and a footer link, and stops
once the member unsubscribes.
"""

from flask import current_app

from titan.common.urls import public_base_url
from titan.extensions import db
from titan.integrations import mail
from titan.jobs import job
from titan.members import links
from titan.members.models import User
from titan.members.standing import mask_email, member_of, user_data


def recipient(user_id):
    """The user to write to, or None if they left or have no address. (Each job has its own
    session: the user is read fresh.)"""
    user = db.session.get(User, user_id)
    if user is None or not user.email or not user.is_active:
        return None
    return user


def unsubscribe_headers(user):
    url = links.link_for(user, links.UNSUBSCRIBE)
    return url, {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send_non_essential(recipient_user, template, **context):
    """Mail that stops once the member unsubscribes; it carries the unsubscribe headers and footer
    link, and the member's standing as it is now."""
    if recipient_user.mail_opt_out:
        return
    unsubscribe_url, headers = unsubscribe_headers(recipient_user)
    mail.send(
        recipient_user.email,
        template,
        headers=headers,
        data=user_data(member_of(recipient_user)),
        unsubscribe_url=unsubscribe_url,
        **context,
    )


def confirmation_needed(user):
    return not user.email_confirmed


@job("mail.welcome")
def send_welcome(user_id):
    """The welcome email: the referral link and, until the address is confirmed, its link."""
    user = recipient(user_id)
    if user is None:
        return
    confirm_url = links.link_for(user, links.CONFIRM) if confirmation_needed(user) else None
    member = member_of(user)
    mail.send(user.email, "welcome", user=user, data=user_data(member), confirm_url=confirm_url)


@job("mail.confirm_address")
def send_confirmation(user_id, address):
    """A link to confirm `address`: the user's own (after registering) or the one they change to."""
    user = recipient(user_id)
    if user is None or address not in (user.email, user.pending_email):
        return
    if address == user.email and user.email_confirmed:
        return
    url = links.link_for(user, links.CONFIRM, address)
    mail.send(address, "confirm_address", user=user, confirm_url=url, changing=address == user.pending_email)


@job("mail.email_change_notice")
def send_email_change_notice(user_id, old_address, new_address):
    """Tell the old address that a change to another one was asked for (it stays until confirmed)."""
    user = recipient(user_id)
    if user is None:
        return
    mail.send(old_address, "email_change_notice", user=user, new_address=mask_email(new_address))


@job("mail.referrer_notified")
def send_referrer_notified(referrer_id, friend_id):
    """ "Someone joined with your link", with the referrer's count and place after it counted."""
    referrer = recipient(referrer_id)
    if referrer is None:
        return
    friend = db.session.get(User, friend_id)
    friend_shown = mask_email(friend.email) if friend is not None and friend.email else "A friend"
    send_non_essential(referrer, "referrer_notified", referrer=referrer, friend=friend_shown)


@job("mail.milestone_reached")
def send_milestone_reached(user_id, referrals, reward):
    """A milestone's reward: places skipped, or early access (the "admitted" email follows with its
    link). Not essential: it stops once the member unsubscribes."""
    user = recipient(user_id)
    if user is not None:
        send_non_essential(user, "milestone_reached", user=user, referrals=referrals, reward=reward)


@job("mail.admitted")
def send_admitted(user_id):
    """ "You're in": with the link that sets a password, or, for an account holder, how to sign in."""
    user = recipient(user_id)
    if user is None:
        return
    activate_url = None if user.password_hash else links.link_for(user, links.ACTIVATE)
    mail.send(user.email, "admitted", user=user, activate_url=activate_url, site_url=public_base_url())


@job("mail.activation")
def send_activation(user_id):
    """After `register` with the address of a member without a password: finish the account by link
    (or, while an invite-only launch keeps them waiting, their place instead)."""
    user = recipient(user_id)
    if user is None or user.password_hash:
        return
    if current_app.config["ACCOUNTS_REQUIRE_ADMISSION"] and user.waitlist_status == "waiting":
        mail.send(user.email, "still_waiting", user=user, data=user_data(member_of(user)))
        return
    mail.send(user.email, "activation", user=user, activate_url=links.link_for(user, links.ACTIVATE))


@job("mail.password_reset")
def send_password_reset(user_id):
    user = recipient(user_id)
    if user is None:
        return
    url = links.link_for(user, links.RESET)
    mail.send(user.email, "password_reset", user=user, reset_url=url)


@job("mail.sign_in_link")
def send_sign_in_link(user_id):
    user = recipient(user_id)
    if user is None:
        return
    mail.send(user.email, "sign_in_link", user=user, sign_in_url=links.link_for(user, links.SIGN_IN))


@job("mail.delete_link")
def send_delete_link(user_id):
    user = recipient(user_id)
    if user is None:
        return
    mail.send(user.email, "delete_link", user=user, delete_url=links.link_for(user, links.DELETE))
