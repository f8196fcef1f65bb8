"""What the dashboard shows, gathered once for its page and for the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core import policy
from . import figures, snapshot

# The sign-in chart's span and the length of the recent-events table.
DAYS = 30
RECENT_EVENTS = 10
PERMISSION = "users:read"


@dataclass(frozen=True)
class Overview:
    """The stored snapshot (None while a first computation runs elsewhere), the daily
    sign-in counters and the newest audit events."""

    snapshot: snapshot.Snapshot | None
    days: list[figures.Day]
    recent: list[Any]

    @property
    def totals(self) -> dict[str, int]:
        """Sign-ins and failed sign-ins over the whole span."""
        return {
            "sign_ins": sum(day.sign_ins for day in self.days),
            "failures": sum(day.failures for day in self.days),
        }

    def stale(self, now: datetime) -> bool:
        """True when the snapshot should be recomputed after this response."""
        return self.snapshot is not None and self.snapshot.stale(now)


def read(actor: Any) -> Overview:
    """The dashboard's figures for `actor`, who needs users:read; a cold start computes the
    snapshot in this request (see snapshot.compute_if_missing)."""
    policy.require(actor, PERMISSION)
    current = snapshot.load() or snapshot.compute_if_missing()
    return Overview(current, figures.daily(DAYS), figures.recent_events(RECENT_EVENTS))
