"""Run the same credential check from several threads at once, each with its own session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask


def simultaneous(app: Flask, user_id: int, check: Callable[[Any], bool], times: int = 2) -> list:
    """Call `check(user)` from `times` threads released together; their results, sorted.

    Each thread loads the user in its own app context (its own database session), and an
    exception counts as a refusal, as it would for the request that raised it.
    """
    from console.extensions import db
    from console.models import User

    barrier = threading.Barrier(times)
    results: list[bool] = []

    def attempt() -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                ok = check(user)
                db.session.commit()
            except Exception:
                db.session.rollback()
                ok = False
            finally:
                db.session.remove()
            results.append(ok)

    threads = [threading.Thread(target=attempt) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)
