"""Market series: one value per date per named series."""

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from titan.common.types import UTCDateTime, utcnow
from titan.extensions import db


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Point(db.Model):
    __tablename__ = "points"
    __table_args__ = (CheckConstraint("value > 0", name="value_positive"),)

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(primary_key=True)
    value: Mapped[float] = mapped_column()
