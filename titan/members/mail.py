"""The emails members get, each sent by a job (titan.jobs) and rendered when it is sent, from the
database as it is then: a referrer's numbers are the ones after the referral counted."""

from titan.extensions import db
from titan.integrations import mail
from titan.jobs import job
from titan.members.models import User
from titan.members.standing import mask_email, member_of, user_data


def recipient(user_id):
    """The user to write to and their standing, or (None, None) if they left or have no address.
    (Each job has its own session: the user is read fresh.)"""
    user = db.session.get(User, user_id)
    if user is None or not user.email or not user.is_active:
        return None, None
    return user, member_of(user)


@job("mail.welcome")
def send_welcome(user_id):
    """The welcome email with the member's referral link."""
    user, member = recipient(user_id)
    if user is not None:
        mail.send(user.email, "welcome", user=user, data=user_data(member))


@job("mail.referrer_notified")
def send_referrer_notified(referrer_id, friend_id):
    """ "Someone joined with your link", with the referrer's count and place after it counted."""
    referrer, member = recipient(referrer_id)
    if referrer is None:
        return
    friend = db.session.get(User, friend_id)
    friend_shown = mask_email(friend.email) if friend is not None and friend.email else "A friend"
    mail.send(referrer.email, "referrer_notified", referrer=referrer, friend=friend_shown, data=user_data(member))


@job("mail.admitted")
def send_admitted(user_id):
    """ "You're in", when the member is admitted."""
    user, _ = recipient(user_id)
    if user is not None:
        mail.send(user.email, "admitted", user=user)
