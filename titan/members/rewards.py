"""Giving a milestone's reward, once per user, with an email. A milestone is reached when the
referral that makes the count N counts; the `milestone_rewards` row (unique per user and threshold)
makes it happen once, even if the count later falls and rises again. `skip-K` is added to the
stored boost, so the position index and the Redis mirror follow."""

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from titan.common.transactions import after_commit
from titan.extensions import db
from titan.jobs import enqueue
from titan.members import ranking
from titan.members.admitting import admit
from titan.members.mail import send_milestone_reached
from titan.members.milestones import EARLY_ACCESS, milestones
from titan.members.models import WAITLIST_WAITING, MilestoneReward, User


def reach_milestone(user_id, referral_count):
    """The referral that made `user_id`'s count `referral_count` just counted: give the milestone
    at that count, if there is one and the user never had it."""
    milestone = next((item for item in milestones() if item.referrals == referral_count), None)
    if milestone is None:
        return
    dialect_insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    recorded = db.session.execute(
        dialect_insert(MilestoneReward)
        .values(user_id=user_id, referrals=milestone.referrals, reward=milestone.reward, places=milestone.places)
        .on_conflict_do_nothing()
        .returning(MilestoneReward.id)
    ).first()
    if recorded is None:
        return  # reached before
    if milestone.reward == EARLY_ACCESS:
        admit([user_id])
    elif db.session.execute(
        update(User)
        .where(User.id == user_id, User.waitlist_status == WAITLIST_WAITING)
        .values(waitlist_boost=User.waitlist_boost + milestone.places)
        .execution_options(synchronize_session=False)
    ).rowcount:
        after_commit(lambda: ranking.record_boost(user_id, milestone.places))
    enqueue(send_milestone_reached, user_id=user_id, referrals=milestone.referrals, reward=milestone.reward)
