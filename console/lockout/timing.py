"""Make a refused sign-in of a locked account take as long as a checked one, without hashing."""

from __future__ import annotations

import threading
import time

from flask_security import hash_password

_lock = threading.Lock()
_hash_seconds: float | None = None


def hash_duration() -> float:
    """Seconds one password hash takes in this process, measured once."""
    global _hash_seconds
    with _lock:
        if _hash_seconds is None:
            start = time.perf_counter()
            hash_password("timing calibration, not a password")
            _hash_seconds = time.perf_counter() - start
        return _hash_seconds


def pad() -> None:
    """Wait as long as an unknown account's dummy hash would take.

    Sleeping instead of hashing keeps a refused attempt in the same timing class as a checked
    one (so a lock does not reveal that the account exists) while costing no CPU.
    """
    time.sleep(hash_duration())
