"""What the pages say when a rule says no, keyed on the error's stable reason (never on the API's
wording, which belongs to the API contract and may change on its own)."""

from titan.members.codes import CODE_EXPIRED, CODE_NOT_FOUND
from titan.waitlist.membership import EMAIL_TAKEN

PAGE_COPY = {
    "email_taken": "This email is already on the waitlist. Find your place with your referral code on the status page.",
    "code_not_found": "This invite link doesn't work, but you can still join.",
    "code_expired": "This invite link has expired, but you can still join.",
    "code_revoked": "This invite link is no longer active, but you can still join.",
    "link_invalid": "This link doesn't work: it may have expired, been used already, or been copied only in part.",
    "invite_only": "Titan is invite-only for now: your account opens when you're admitted from the waitlist.",
    "username_taken": "This username is taken. Choose another one, or leave it empty.",
    "address_taken_meanwhile": "Someone else uses this address now, so it can't become yours.",
}
# What the landing page says right after a join, with EMAIL_CONFIRMATION on and off.
JOINED = {
    True: "You're on the list. Confirm your address from the email we sent, then share your link to move up.",
    False: "You're on the list. Share your link to move up.",
}
# Reasons a referral code stopped working: the page says so and still lets the visitor join.
CODE_REASONS = frozenset({"code_not_found", "code_expired", "code_revoked"})
# What `POST /api/join/` answers for each reason, for titan.js, which only sees the API's answer.
JOIN_API_MESSAGES = {
    "email_taken": EMAIL_TAKEN,
    "code_not_found": CODE_NOT_FOUND,
    "code_expired": CODE_EXPIRED,
}


def copy_for(error):
    """The page's words for a service error (the API's message when the pages have none of their own)."""
    return PAGE_COPY.get(error.reason, error.message)


def join_messages_for_script():
    """`{API message: page copy}` for the join form's script."""
    return {JOIN_API_MESSAGES[reason]: PAGE_COPY[reason] for reason in JOIN_API_MESSAGES}
