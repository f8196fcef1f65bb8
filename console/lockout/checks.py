"""One credential check of an account at a time in this process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_guard = threading.Lock()
# user id -> (its lock, how many threads hold or wait for it); an entry lives while used.
_locks: dict[int, tuple[threading.Lock, int]] = {}


@contextmanager
def one_at_a_time(user_id: int) -> Iterator[None]:
    """Run the block while no other thread of this process checks a credential of the account.

    When a lock ends during a burst, every attempt already past the lock check would hash at
    once (a worker's every thread, 35 to 40 hashes on two cores: everyone's sign-in stalled
    for seconds) although the first failure locks the account again. Waiting here, the
    others find the new lock when their turn comes and are refused without a hash.
    """
    with _guard:
        lock, users = _locks.get(user_id, (None, 0))
        if lock is None:
            lock = threading.Lock()
        _locks[user_id] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _guard:
            lock, users = _locks[user_id]
            if users == 1:
                del _locks[user_id]
            else:
                _locks[user_id] = (lock, users - 1)
