"""One credential check of an identity at a time in this process, waited for at no cost."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from ..extensions import db

_guard = threading.Lock()
# identity -> (its lock, how many threads hold or wait for it); an entry lives while used.
_locks: dict[Hashable, tuple[threading.Lock, int]] = {}


@contextmanager
def one_at_a_time(identity: Hashable) -> Iterator[None]:
    """Run the block while no other thread of this process checks a credential of `identity`.

    A burst at one identity then costs one check (a hash, or a locked account's padding) at
    a time per worker, whatever its concurrency: the other attempts wait here without
    CPU or a database connection, so the burst paces itself at the check's length instead
    of taking every core, and everyone else's sign-in keeps its speed. After a lock ends,
    the waiting attempts find the new lock the first failure started and are refused
    without a hash. Unknown identities wait in the same way, so the pace does not reveal
    which accounts exist.
    """
    release_connection()
    with _guard:
        lock, users = _locks.get(identity, (None, 0))
        if lock is None:
            lock = threading.Lock()
        _locks[identity] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _guard:
            lock, users = _locks[identity]
            if users == 1:
                del _locks[identity]
            else:
                _locks[identity] = (lock, users - 1)


def release_connection() -> None:
    """Give the request's database connection back to the pool while it waits or hashes.

    A worker has more threads than connections, and a burst of attempts waiting in line,
    padding a refusal or hashing would otherwise hold every connection meanwhile. Only a
    clean session is ended (nothing is pending before a credential check; if something were,
    it stays for the view to commit), and what it loaded stays loaded: the password hash is
    not read again, with a connection, just before the hash that compares with it.
    """
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
