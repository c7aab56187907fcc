"""What the milestones are (WAITLIST_MILESTONES, e.g. `3:skip-50,10:early-access`): reaching N
counted referrals gives a reward, once per user (titan.members.rewards gives it). `skip-K` moves the
member ahead K more places; `early-access` admits them at once."""

import functools
import re
from dataclasses import dataclass

from flask import current_app

EARLY_ACCESS = "early-access"
SKIP = re.compile(r"skip-([1-9][0-9]{0,6})")


@dataclass(frozen=True)
class Milestone:
    referrals: int
    reward: str

    @property
    def places(self):
        """The places a `skip-K` reward moves the member ahead (0 for early access)."""
        match = SKIP.fullmatch(self.reward)
        return int(match.group(1)) if match else 0

    def as_dict(self):
        return {"referrals": self.referrals, "reward": self.reward}


@functools.cache
def parse_milestones(setting):
    """`"3:skip-50,10:early-access"` → Milestones by threshold. Raises ValueError for a bad one."""
    milestones = {}
    for item in filter(None, (part.strip() for part in (setting or "").split(","))):
        threshold, _, reward = item.partition(":")
        if not threshold.strip().isdigit() or int(threshold) < 1:
            raise ValueError(f"WAITLIST_MILESTONES: {item!r} needs a number of referrals of at least 1")
        reward = reward.strip()
        if reward != EARLY_ACCESS and not SKIP.fullmatch(reward):
            raise ValueError(f"WAITLIST_MILESTONES: {item!r}: the reward is skip-K (K places) or early-access")
        if int(threshold) in milestones:
            raise ValueError(f"WAITLIST_MILESTONES: two milestones at {int(threshold)} referrals")
        milestones[int(threshold)] = Milestone(int(threshold), reward)
    return tuple(sorted(milestones.values(), key=lambda milestone: milestone.referrals))


def milestones():
    return parse_milestones(current_app.config["WAITLIST_MILESTONES"])


def next_milestone(referral_count):
    """The next milestone not reached yet, as the user data shows it, or None."""
    upcoming = next((milestone for milestone in milestones() if milestone.referrals > referral_count), None)
    return upcoming.as_dict() if upcoming else None
