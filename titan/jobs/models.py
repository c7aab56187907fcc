"""What the worker records beside procrastinate's own tables: each job's last error."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import ENUM, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from titan.common.types import UTCDateTime, utcnow
from titan.extensions import db


class JobFailure(db.Model):
    """The last error of a queued job (procrastinate keeps statuses and attempts, not errors)."""

    __tablename__ = "job_failures"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int] = mapped_column()
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


JOB_STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")

# procrastinate's job table, read by the admin panel. Its schema is procrastinate's (applied by
# migration 0006 on PostgreSQL), so it lives outside the models' metadata and Alembic's comparisons.
procrastinate_jobs = Table(
    "procrastinate_jobs",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("queue_name", String),
    Column("task_name", String),
    Column("args", JSONB),
    Column("status", ENUM(*JOB_STATUSES, name="procrastinate_job_status", create_type=False)),
    Column("scheduled_at", DateTime(timezone=True)),
    Column("attempts", Integer),
)
