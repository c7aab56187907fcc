"""Paid operations and the ledger of what each user spent."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from titan.common.types import UTCDateTime, utcnow
from titan.extensions import db

OPERATION_TYPES = ("addition", "subtraction", "multiplication", "division", "square_root", "random_string")


class Operation(db.Model):
    __tablename__ = "operations"
    __table_args__ = (CheckConstraint("cost >= 0", name="cost_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    cost: Mapped[int] = mapped_column()


class Record(db.Model):
    __tablename__ = "records"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("user_balance >= 0", name="user_balance_not_negative"),
        Index("ix_records_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    amount: Mapped[int] = mapped_column()
    user_balance: Mapped[int] = mapped_column()
    operation_response: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    operation: Mapped[Operation] = relationship(lazy="raise")
