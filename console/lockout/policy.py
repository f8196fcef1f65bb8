"""Lockout arithmetic: how long a lock lasts (no database, no request)."""

from __future__ import annotations

from datetime import datetime, timedelta


def lock_wait(previous_locks: int, base: timedelta, cap: timedelta) -> timedelta:
    """The wait of the next lock: `base`, doubled for every earlier lock, never above `cap`."""
    # Past 32 doublings every sensible cap is reached; the bound keeps the number small.
    doublings = min(max(previous_locks, 0), 32)
    return min(base * (2**doublings), cap)


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """True while a lock is running."""
    return locked_until is not None and locked_until > now
