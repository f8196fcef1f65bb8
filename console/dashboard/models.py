"""The dashboard's snapshot: its figures as computed outside the request, and when."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, Text

from ..core.schema import ConsoleModel

SNAPSHOT_ID = 1


class DashboardSnapshot(ConsoleModel):
    """One row (id 1): the figures as JSON, when they were computed, and who is refreshing.

    `refreshing_since` is set by the one worker that claimed the recompute, so that many
    workers seeing a stale snapshot start a single recompute between them.
    """

    __tablename__ = "dashboard_snapshot"

    id = Column(Integer, primary_key=True, autoincrement=False)
    figures = Column(Text, nullable=False, default="{}")
    computed_at = Column(DateTime, nullable=True)
    refreshing_since = Column(DateTime, nullable=True)
