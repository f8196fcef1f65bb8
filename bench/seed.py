"""Fill a console database quickly: users, roles, factors, sessions and audit events.

    python -m bench.seed --url sqlite:///bench/out/10k.db --users 10000

Bulk inserts in batches (COPY on PostgreSQL), one shared password hash, deterministic data.
The database is created by the console's own migrations first.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from console.audit.chain import HASHED
from console.core.emails import canonical_email
from console.demo import FIRST, LAST

BATCH = 20_000
NOW = datetime(2026, 11, 1, 12, 0, 0)
OPERATOR_PASSWORD = "bench operator password"  # noqa: S105 - a local benchmark account
OPERATOR_EMAIL = "operator@bench.example"
# The server must run with the secret the passwords were hashed under (it derives the salt).
SECRET_KEY = "bench-secret-" + "k" * 40  # noqa: S105 - a local benchmark database
SESSIONS_PER_USER = 2
EVENTS_PER_USER = 10


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.started = label, total, 0, time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        sys.stderr.write(
            f"\r  {self.label:<14} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done:>10,}/{self.total:,} ({rate:,.0f}/s)"
        )
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def seeding_engine(url: str | sa.URL) -> sa.Engine:
    """An engine of its own for bulk work, without the console's statement timeout.

    The application's engine cancels any statement after CONSOLE_DB_STATEMENT_TIMEOUT_MS to
    protect requests; a COPY or an index build over many rows on a busy machine takes longer
    and must not fail because of that.
    """
    url = sa.make_url(url)
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(url, connect_args={"options": "-c statement_timeout=0"})
    return sa.create_engine(url)


def batched(rows: Iterable[tuple], size: int = BATCH) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(
    engine: sa.Engine, table: str, columns: Sequence[str], rows: Iterable[tuple], total: int
) -> None:
    """COPY on PostgreSQL, executemany in large transactions on SQLite.

    Secondary indexes are dropped first and built once at the end: building an index over
    ten million rows is far cheaper than updating it ten million times.
    """
    from console.extensions import db

    indexes = list(db.metadata.tables[table].indexes) if total >= 50_000 else []
    for index in indexes:
        index.drop(engine)
    try:
        _load(engine, table, columns, rows, total)
    finally:
        for index in indexes:
            index.create(engine)


def _load(
    engine: sa.Engine, table: str, columns: Sequence[str], rows: Iterable[tuple], total: int
) -> None:
    progress = Progress(table, total)
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cols = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for batch in batched(rows):
                    for row in batch:
                        copy.write_row(row)
                    progress.advance(len(batch))
            raw.commit()
        finally:
            raw.close()
        return
    placeholders = ", ".join("?" for _ in columns)
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({placeholders})'
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for batch in batched(rows):
            cursor.executemany(sql, batch)
            raw.commit()
            progress.advance(len(batch))
    finally:
        raw.close()


def email_of(i: int) -> str:
    return f"user{i:07d}@bench.example"


def user_rows(count: int, password_hash: str, totp_secret: str) -> Iterator[tuple]:
    rng = random.Random(1)
    for i in range(1, count + 1):
        created = NOW - timedelta(days=rng.randint(1, 1500), seconds=rng.randint(0, 86399))
        last = created + timedelta(days=rng.randint(0, max((NOW - created).days, 1)))
        has_totp = i % 2 == 0
        email = OPERATOR_EMAIL if i == 1 else email_of(i)
        # Raw inserts skip the factor registry's flush hook: an authenticator app, or a
        # security key (every fourth user, see passkeys() below).
        has_second_factor = has_totp or i % 4 == 0
        yield (
            i,
            email,
            f"user{i:07d}",
            f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]} {i}",
            password_hash,
            True if i == 1 else rng.random() > 0.05,
            uuid.UUID(int=rng.getrandbits(128)).hex,
            created,
            last if rng.random() > 0.1 else None,
            last,
            rng.randint(0, 500),
            "authenticator" if has_totp else None,
            totp_secret if has_totp else None,
            created,
            created,
            1,
            0,
            0,
            False,
            canonical_email(email),
            has_second_factor,
        )


USER_COLUMNS = (
    "id",
    "email",
    "username",
    "name",
    "password",
    "active",
    "fs_uniquifier",
    "confirmed_at",
    "last_login_at",
    "current_login_at",
    "login_count",
    "tf_primary_method",
    "tf_totp_secret",
    "create_datetime",
    "update_datetime",
    "edit_version",
    "failed_login_count",
    "lockout_count",
    "password_change_required",
    # Raw inserts skip the model's hook: the key the sign-in lookup and unique index use.
    "email_canonical",
    "has_second_factor",
)


def seed_accounts(engine: sa.Engine, count: int) -> None:
    """Users (user 1 is the operator), roles, memberships and passkeys."""
    from flask_security import hash_password
    from flask_security.proxies import _security

    from console.core.permissions import all_permissions

    password_hash = hash_password(OPERATOR_PASSWORD)
    totp_secret = _security._totp_factory.generate_totp_secret()
    bulk_insert(engine, "user", USER_COLUMNS, user_rows(count, password_hash, totp_secret), count)
    roles = [
        (1, "Administrator", "Full administration", ",".join(all_permissions()), NOW, False),
        (
            2,
            "Support",
            "Help desk",
            "users:read,users:write,sessions:read,sessions:revoke",
            NOW,
            False,
        ),
        (3, "Auditor", "Reads the audit trail", "users:read,roles:read,audit:read", NOW, False),
        (4, "Member", "Ordinary user", "", NOW, False),
    ]
    bulk_insert(
        engine,
        "role",
        ("id", "name", "description", "permissions", "update_datetime", "require_mfa"),
        roles,
        len(roles),
    )
    operators = max(count // 100, 1)

    def memberships() -> Iterator[tuple]:
        yield (1, 1)
        for i in range(2, count + 1):
            yield (i, 4)
        for i in range(2, operators + 1):
            yield (i, 2 if i % 3 else 3)

    bulk_insert(engine, "roles_users", ("user_id", "role_id"), memberships(), count + operators - 1)
    rng = random.Random(2)

    def passkeys() -> Iterator[tuple]:
        for n, i in enumerate(range(4, count + 1, 4), start=1):
            yield (
                n,
                rng.randbytes(32),
                rng.randbytes(77),
                0,
                "usb",
                False,
                "single_device",
                NOW - timedelta(days=rng.randint(1, 400)),
                NOW - timedelta(days=rng.randint(0, 30)),
                f"Key {n}",
                "secondary",
                i,
            )

    bulk_insert(
        engine,
        "webauthn",
        (
            "id",
            "credential_id",
            "public_key",
            "sign_count",
            "transports",
            "backup_state",
            "device_type",
            "create_datetime",
            "lastuse_datetime",
            "name",
            "usage",
            "user_id",
        ),
        passkeys(),
        count // 4,
    )


def seed_sessions(engine: sa.Engine, count: int) -> None:
    """SESSIONS_PER_USER live sessions for every user."""
    rng = random.Random(3)
    agents = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
    )

    def rows() -> Iterator[tuple]:
        n = 0
        for i in range(1, count + 1):
            for _ in range(SESSIONS_PER_USER):
                n += 1
                created = NOW - timedelta(minutes=rng.randint(1, 600))
                yield (
                    n,
                    secrets.token_hex(8),
                    hashlib.sha256(os.urandom(16)).hexdigest(),
                    None,
                    i,
                    created,
                    created,
                    created + timedelta(days=3650),
                    None,
                    None,
                    f"198.51.100.{rng.randint(1, 254)}",
                    agents[n % 2],
                    "password",
                    None,
                )

    bulk_insert(
        engine,
        "user_session",
        (
            "id",
            "key",
            "token_hash",
            "remember_hash",
            "user_id",
            "created_at",
            "last_seen_at",
            "expires_at",
            "ended_at",
            "end_reason",
            "ip",
            "user_agent",
            "auth_method",
            "second_factor",
        ),
        rows(),
        count * SESSIONS_PER_USER,
    )


AUDIT_ACTIONS = (
    "user.login",
    "user.login",
    "user.login",
    "user.login_failed",
    "user.logout",
    "user.password_changed",
    "admin.user.updated",
    "session.revoked",
    "mfa.totp.enabled",
    "user.login",
)


def seed_audit(engine: sa.Engine, count: int) -> None:
    """EVENTS_PER_USER events per user over the last 60 days, hash-chained like real ones."""
    from console.audit.chain import GENESIS, content_of, event_hash

    rng = random.Random(4)
    total = count * EVENTS_PER_USER
    step = timedelta(days=60) / total
    start = NOW - timedelta(days=60)
    daily: dict[tuple[Any, str], int] = {}
    last_hash = GENESIS

    def rows() -> Iterator[tuple]:
        nonlocal last_hash
        for n in range(1, total + 1):
            user = rng.randint(1, count)
            action = AUDIT_ACTIONS[n % len(AUDIT_ACTIONS)]
            actor = 1 if action.startswith("admin.") else user
            event = {
                "created_at": start + step * n,
                "actor_id": actor,
                "actor_email": OPERATOR_EMAIL if actor == 1 else email_of(actor),
                "subject_id": user,
                "subject_email": email_of(user),
                "action": action,
                "ip": f"203.0.113.{rng.randint(1, 254)}",
                "user_agent": "Mozilla/5.0",
                "request_id": f"{n:016x}",
                "details": "{}",
            }
            digest = event_hash(last_hash, content_of(event))
            key = (event["created_at"].date(), action)
            daily[key] = daily.get(key, 0) + 1
            yield (n, *(event[c] for c in AUDIT_COLUMNS[1:-2]), last_hash, digest)
            last_hash = digest

    bulk_insert(engine, "audit_event", AUDIT_COLUMNS, rows(), total)
    bulk_insert(
        engine,
        "audit_daily_count",
        ("day", "action", "count"),
        ((day, action, n) for (day, action), n in daily.items()),
        len(daily),
    )
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_chain_head"))
        # Plain SHA-256 links, as a chain written before it was keyed: they verify up to
        # this switch point, and the events the console appends from here on are keyed.
        conn.execute(
            sa.text(
                "INSERT INTO audit_chain_head (id, last_hash, event_count, plain_until_event_id)"
                " VALUES (1, :h, :n, :n)"
            ),
            {"h": last_hash, "n": total},
        )


# The hashed columns, in the chain's own order, between the id and the two hashes.
AUDIT_COLUMNS = ("id", *HASHED, "prev_hash", "hash")


SEEDERS: dict[str, Callable[[sa.Engine, int], None]] = {
    "accounts": seed_accounts,
    "sessions": seed_sessions,
    "audit": seed_audit,
}


def reset_sequences(engine: sa.Engine) -> None:
    """PostgreSQL: move each serial past the ids COPY wrote."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("user", "role", "webauthn", "user_session", "audit_event"):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
                )
            )


def analyze(engine: sa.Engine) -> None:
    """Statistics for the planner; on PostgreSQL also the VACUUM that autovacuum would have
    run on a database this size long ago. A freshly loaded table has no visibility map and
    no hint bits: without it, the first requests of a run set them (writing pages while
    they read), and index-only scans fall back to the heap, so a run measures the load's
    aftermath instead of the console."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM (ANALYZE)"))
        return
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))


def seed(url: str, users: int, parts: Sequence[str] = tuple(SEEDERS)) -> None:
    """Migrate `url` to the newest schema and fill it."""
    from flask_migrate import upgrade

    from console import create_app
    from console.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade(revision="heads")
        engine = seeding_engine(db.engine.url)
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.execute(sa.text("PRAGMA journal_mode=WAL"))
        started = time.monotonic()
        for part in parts:
            SEEDERS[part](engine, users)
        reset_sequences(engine)
        analyze(engine)
        print(f"seeded {users:,} users in {time.monotonic() - started:.1f} s", file=sys.stderr)
        db.session.remove()
        engine.dispose()
        db.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an EMPTY database")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--parts", default=",".join(SEEDERS), help="comma-separated parts")
    args = parser.parse_args(argv)
    seed(args.url, args.users, [p for p in args.parts.split(",") if p])


if __name__ == "__main__":
    main()
