"""Refusals of a locked account in the audit trail: the first one of an interval as its own
event, the rest counted in memory and recorded as one event when the interval ends.

One event per refusal would put every attempt of a burst through the audit chain's single
writer, and everyone else's events (a bystander's sign-in) would queue behind thousands of
them. The trail still shows each lock's refusals as they happen (the first of each interval
is recorded by its own request, with its address) and how many there were (the count,
written by a timer; a worker that exits waits for its timer, so only a killed process loses
at most one interval's count).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_security import naive_utcnow

from ..core.models import models
from ..core.signals import emit
from ..extensions import db
from ..settings import setting

log = logging.getLogger(__name__)

EXTENSION_KEY = "console.lockout.refusals"
ACTION = "user.login_refused"
# How many distinct client addresses a counted event lists; the count of them is exact.
ADDRESSES_LISTED = 20


@dataclass
class _Tally:
    """The refusals of one account since its last recorded event, in this process."""

    first: datetime
    last: datetime
    count: int = 0
    auth_types: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)


class Refusals:
    """The per-process tallies of one app; `refused` is called once per refusal."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._tallies: dict[int, _Tally] = {}
        self._timer: threading.Timer | None = None

    def refused(self, user: Any, auth_type: str) -> None:
        """Note one refusal of `user`'s locked account, recording it now or counting it."""
        interval = setting("CONSOLE_LOCKOUT_REFUSAL_INTERVAL").total_seconds()
        address = request.remote_addr if has_request_context() else None
        now = naive_utcnow()
        with self._lock:
            tally = self._tallies.get(user.id) if interval > 0 else None
            if tally is not None:
                tally.count += 1
                tally.last = now
                tally.auth_types.add(auth_type)
                if address:
                    tally.addresses.add(address)
                return
            if interval > 0:
                self._tallies[user.id] = _Tally(first=now, last=now)
                if self._timer is None:
                    # Not a daemon: a worker that exits gracefully records its counts first.
                    self._timer = threading.Timer(interval, self.flush)
                    self._timer.start()
        # The first refusal of the interval is recorded with its request.
        emit(ACTION, actor=None, subject=user, refused=1, auth_types=[auth_type])

    def flush(self) -> int:
        """Record one event per account counted since its first refusal; returns how many."""
        with self._lock:
            tallies, self._tallies, timer, self._timer = self._tallies, {}, self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()  # flushed early (a test, a shutdown): the timer has nothing left
        counted = {user_id: tally for user_id, tally in tallies.items() if tally.count}
        if not counted:
            return 0
        try:
            with self.app.app_context():
                try:
                    User = models().User
                    users = db.session.query(User).filter(User.id.in_(counted)).all()
                    for user in users:
                        tally = counted[user.id]
                        emit(
                            ACTION,
                            actor=None,
                            subject=user,
                            refused=tally.count,
                            first=tally.first.isoformat(),
                            last=tally.last.isoformat(),
                            auth_types=sorted(tally.auth_types),
                            addresses=sorted(tally.addresses)[:ADDRESSES_LISTED],
                            distinct_addresses=len(tally.addresses),
                        )
                    db.session.commit()
                finally:
                    db.session.remove()
        except Exception:
            # A timer has nobody to answer: the counts wait for the next interval instead.
            log.exception(
                "refusals of locked accounts not recorded yet: %s",
                {user_id: tally.count for user_id, tally in counted.items()},
            )
            self._keep(counted)
            return 0
        return len(counted)

    def _keep(self, counted: dict[int, _Tally]) -> None:
        interval = setting("CONSOLE_LOCKOUT_REFUSAL_INTERVAL", self.app.config).total_seconds()
        with self._lock:
            for user_id, old in counted.items():
                tally = self._tallies.setdefault(user_id, _Tally(first=old.first, last=old.last))
                tally.count += old.count
                tally.first, tally.last = min(tally.first, old.first), max(tally.last, old.last)
                tally.auth_types |= old.auth_types
                tally.addresses |= old.addresses
            if self._timer is None:
                self._timer = threading.Timer(max(interval, 1.0), self.flush)
                self._timer.start()


def refused(user: Any, auth_type: str) -> None:
    """Note a refusal of `user`'s locked account for the audit trail (see Refusals)."""
    # The audit trail records a sign-in that no credential check answered; this one was.
    g.console_lockout_refused = True
    current_app.extensions[EXTENSION_KEY].refused(user, auth_type)


def init_app(app: Flask) -> None:
    """Give `app` its tallies."""
    app.extensions[EXTENSION_KEY] = Refusals(app)
