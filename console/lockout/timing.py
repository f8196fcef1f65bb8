"""Make a refused sign-in of a locked account take as long as a checked one, without hashing."""

from __future__ import annotations

import threading
import time

from flask_security import hash_password

_lock = threading.Lock()
_hash_seconds: float | None = None


CALIBRATION_HASHES = 3


def hash_duration() -> float:
    """Seconds one password hash takes in this process, measured once."""
    global _hash_seconds
    with _lock:
        if _hash_seconds is None:
            # The first call often comes during a burst of sign-ins, while other threads
            # hash too; the fastest of a few hashes is the closest to the uncontended cost.
            # One slow sample must not become a refusal's length for the process's lifetime:
            # every refusal would then hold its thread for that long.
            _hash_seconds = min(_one_hash() for _ in range(CALIBRATION_HASHES))
        return _hash_seconds


def _one_hash() -> float:
    # The wall clock alone measures the machine's load as well: when every worker calibrates
    # at the first refusal of a burst, each hash took five to nine times its cost, and so
    # did every refusal after it (a lock then told apart by its slowness). The CPU time the
    # process spent bounds the hash's own length from above whatever other processes do
    # (its lanes in parallel can only make it shorter, which the wall clock then shows).
    wall, cpu = time.perf_counter(), time.process_time()
    hash_password("timing calibration, not a password")
    return min(time.perf_counter() - wall, time.process_time() - cpu)


def pad() -> None:
    """Wait as long as an unknown account's dummy hash would take.

    Sleeping instead of hashing keeps a refused attempt in the same timing class as a checked
    one (so a lock does not reveal that the account exists) while costing no CPU.
    """
    time.sleep(hash_duration())
