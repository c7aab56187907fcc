"""User-created referral codes (invite codes live on the user)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from titan.auth.models import User
from titan.common.types import UTCDateTime, utcnow
from titan.extensions import db

CODE_ACTIVE = "active"
CODE_REVOKED = "revoked"
# An active code past its expiry is marked expired when its owner creates the next one.
CODE_EXPIRED = "expired"


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
