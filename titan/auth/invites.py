"""`ACCOUNTS_REQUIRE_ADMISSION`: an invite-only launch, where accounts open only to members Titan
knows (registration, a first phone sign-in) and, to activate, only to admitted ones."""

from flask import current_app

from titan.common.exceptions import Forbidden
from titan.members.models import WAITLIST_WAITING

INVITE_ONLY = "Titan is invite-only for now. Join the waitlist."


def invite_only_launch():
    return current_app.config["ACCOUNTS_REQUIRE_ADMISSION"]


def invite_only():
    return Forbidden("invite_only", INVITE_ONLY)


def still_waiting(user):
    """Must this member wait for admission before they get an account?"""
    return invite_only_launch() and user.waitlist_status == WAITLIST_WAITING
