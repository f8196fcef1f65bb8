"""The example host's own table, on the console's SQLAlchemy object."""

from __future__ import annotations

from datetime import datetime

from flask_security import naive_utcnow
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import db


class Report(db.Model):
    """A report the host's signed-in users read."""

    __tablename__ = "host_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(db.String(200))
    created_at: Mapped[datetime] = mapped_column(default=naive_utcnow)
