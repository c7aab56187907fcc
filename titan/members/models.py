"""The user, the hub every feature hangs its columns on, and the referral codes users create
(invite codes live on the user)."""

from datetime import date, datetime

from flask import current_app
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from titan.common.types import UTCDateTime, utcnow
from titan.extensions import db

WAITLIST_WAITING = "waiting"
WAITLIST_ADMITTED = "admitted"

# A referred user's referral: it counts (moves the referrer up) once the friend confirms their address.
REFERRAL_PENDING = "pending"
REFERRAL_COUNTED = "counted"
REFERRAL_SUSPECT = "suspect"
REFERRAL_VOID = "void"

CODE_ACTIVE = "active"
CODE_REVOKED = "revoked"
# An active code past its expiry is marked expired when its owner creates the next one.
CODE_EXPIRED = "expired"


def start_balance():
    return current_app.config["CALCULATOR_START_BALANCE"]


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("referral_count >= 0", name="referral_count_not_negative"),
        CheckConstraint("referred_by_id IS NULL OR referred_by_id <> id", name="not_self_referred"),
        CheckConstraint(
            "waitlist_status IS NULL OR waitlist_status IN ('waiting', 'admitted')", name="waitlist_status_known"
        ),
        CheckConstraint("waitlist_boost >= 0", name="waitlist_boost_not_negative"),
        CheckConstraint(
            # A referral has a state; it may outlive its referrer (deleted: ON DELETE SET NULL).
            "(referred_by_id IS NULL OR referral_state IS NOT NULL) AND "
            "(referral_state IS NULL OR referral_state IN ('pending', 'counted', 'suspect', 'void'))",
            name="referral_state_known",
        ),
        # Waiting users in position order, by the key (id - waitlist_boost, id); nobody else is in it.
        Index(
            "ix_users_waitlist_position",
            text("(id - waitlist_boost)"),
            "id",
            postgresql_where=text("waitlist_status = 'waiting'"),
            sqlite_where=text("waitlist_status = 'waiting'"),
        ),
        # The leaderboard's order (most referrals first: the negated count, so every column ascends; then who
        # reached the count first), its rows only.
        Index(
            "ix_users_leaderboard",
            text("(-referral_count)"),
            "last_referral_at",
            "id",
            postgresql_where=text("referral_count > 0 AND show_on_leaderboard"),
            sqlite_where=text("referral_count > 0 AND show_on_leaderboard"),
        ),
        # Joins from one network in the last hour (the burst signal), and the referrals to review.
        Index(
            "ix_users_join_network_created_at",
            "join_network",
            "created_at",
            postgresql_where=text("join_network IS NOT NULL"),
            sqlite_where=text("join_network IS NOT NULL"),
        ),
        Index(
            "ix_users_suspect_referrals",
            "id",
            postgresql_where=text("referral_state = 'suspect'"),
            sqlite_where=text("referral_state = 'suspect'"),
        ),
        # Everyone who joined the waitlist: `total_registered` counts this index, not the table.
        Index(
            "ix_users_waitlist_members",
            "id",
            postgresql_where=text("waitlist_status IS NOT NULL"),
            sqlite_where=text("waitlist_status IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # Two addresses that reach the same person share this key (see titan.common.contacts).
    email_identity: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    username: Mapped[str | None] = mapped_column(String(30), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(150), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(150), default="", server_default="")
    company: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(500))

    invite_code: Mapped[str] = mapped_column(String(8), unique=True)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    signup_code: Mapped[str | None] = mapped_column(String(32))
    referral_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # When referral_count last rose: of two referrers with one count, the earlier ranks higher.
    last_referral_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    show_on_leaderboard: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # This user's own referral (by `referred_by`): pending until they confirm their address, then
    # counted; `suspect` (a fraud signal, see titan.members.fraud) until an admin approves it; `void`
    # once an admin voided it (who referred whom is kept; it counts for nobody).
    referral_state: Mapped[str | None] = mapped_column(String(10))
    # Why a referral was marked suspect (`same_address`, `network_burst`).
    referral_flag: Mapped[str | None] = mapped_column(String(20))
    # Where the join came from (FRAUD_CHECKS): the client address, its /24 or /64, a user-agent hash.
    join_address: Mapped[str | None] = mapped_column(String(45))
    join_network: Mapped[str | None] = mapped_column(String(49))
    join_agent_hash: Mapped[str | None] = mapped_column(String(16))

    waitlist_status: Mapped[str | None] = mapped_column(String(10))
    # WAITLIST_REFERRAL_BOOST x referral_count, stored so the position key (id - waitlist_boost, id)
    # can be indexed and a new user needs no second statement once the database gives it an id.
    waitlist_boost: Mapped[int] = mapped_column(default=0, server_default="0")
    joined_waitlist_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The address is proven (a link sent to it was used); a new address waits in pending_email until then.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pending_email: Mapped[str | None] = mapped_column(String(254))
    # Non-essential mail (the referrer notification) stops once the user unsubscribes.
    mail_opt_out: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Raised to revoke every token issued before (password reset or change, logout everywhere).
    token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Raised when an admin signs out: every admin panel session of theirs ends.
    admin_session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # When a sign-in link was last used: links sent before then no longer work.
    link_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    balance: Mapped[int] = mapped_column(default=start_balance)
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    referred_by: Mapped["User | None"] = relationship(remote_side=[id], lazy="raise")

    def __repr__(self):
        return f"<User {self.id} {self.email or self.phone or self.username}>"

    @property
    def email_confirmed(self):
        return self.email_confirmed_at is not None

    @property
    def display_name(self):
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.username or self.email or self.phone or f"user {self.id}"


class ReferralCode(db.Model):
    __tablename__ = "referral_codes"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'revoked', 'expired')", name="status_known"),
        # At most one active code per user, enforced by the database.
        Index(
            "uq_referral_codes_one_active_per_owner",
            "owner_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Stored upper-case: codes compare case-insensitively.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default=CODE_ACTIVE, server_default=CODE_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship(lazy="raise")

    def is_active_at(self, moment):
        return self.status == CODE_ACTIVE and self.expires_at > moment


class VisitorMail(db.Model):
    """A mail a visitor asked for (a link to confirm, sign in, reset, ...), by the address it went
    to: at most one a minute and a few a day per address, whatever the rate limits say."""

    __tablename__ = "visitor_mail"
    __table_args__ = (Index("ix_visitor_mail_address_sent_at", "address", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The address's identity key (titan.common.contacts.email_identity): one person, one count.
    address: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MilestoneReward(db.Model):
    """A milestone a referrer reached (WAITLIST_MILESTONES): each once per user, kept so that a
    reward is never given twice and a boost recomputation keeps the places it skipped."""

    __tablename__ = "milestone_rewards"
    __table_args__ = (
        UniqueConstraint("user_id", "referrals"),  # each milestone once per user
        CheckConstraint("referrals > 0", name="referrals_positive"),
        CheckConstraint("places >= 0", name="places_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    referrals: Mapped[int]
    reward: Mapped[str] = mapped_column(String(32))
    # The places a `skip-K` reward moved the user ahead (0 for the other rewards).
    places: Mapped[int] = mapped_column(default=0, server_default="0")
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberActivity(db.Model):
    """How many members joined, confirmed, were admitted, activated an account, and how many
    referrals counted, per UTC day: the operator dashboard's figures. Written only by triggers on
    `users` (migration 0012), in the transaction of each change, so it is exact whatever code or
    SQL changes a user; each counter is split over a few `shard` rows (user id modulo 8) so that
    concurrent joins do not wait on one row lock. Read it summed over shards."""

    __tablename__ = "member_activity"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int]
