"""SCIM's `GET /Users?filter=userName eq "..."`, the lookup an identity provider makes
before every create: its p50 and p95 at a given number of accounts, in process (the whole
Flask stack: token check, filter parsing, the indexed query, serialization).

    python -m bench.scim_filter --backend sqlite --users 10000
    python -m bench.scim_filter --backend postgresql --users 1000000

Seeds the accounts with bench.seed (SQLite: a file in bench/out, kept for the next run;
PostgreSQL: a database of its own on CONSOLE_BENCH_POSTGRES, dropped at the end) and
prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from bench import seed

OUT = Path(__file__).resolve().parent / "out"
PG_SERVER = os.environ.get("CONSOLE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
PERMISSIONS = ["users:read", "users:write", "roles:read", "roles:write", "scim:provision"]


def _database(backend: str, users: int) -> tuple[str, bool]:
    """The database URL, and whether it still needs seeding."""
    if backend == "sqlite":
        path = OUT / f"scim-sqlite-{users}.db"
        OUT.mkdir(exist_ok=True)
        return f"sqlite:///{path}", not path.exists()
    name = f"scim_bench_{users}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG_SERVER}/{name}", True


def _drop(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _token(app: object) -> str:
    """A provider's token, made through the console's own flows."""
    from flask_security import naive_utcnow

    from console.accounts import ensure_role, find_user_by_email
    from console.api import tokens
    from console.extensions import db
    from console.users import flows

    role = ensure_role("SCIM provisioning", PERMISSIONS)
    db.session.commit()
    robot = find_user_by_email("scim@bench.example") or flows.create_user(
        None, email="scim@bench.example", roles=[role], invite=False
    )
    return tokens.create_token(
        robot, name="bench", scopes=PERMISSIONS, expires_at=naive_utcnow() + timedelta(days=1)
    ).secret


def measure(url: str, users: int, requests: int) -> dict[str, object]:
    from console import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": seed.SECRET_KEY, "RATELIMIT_ENABLED": False}
    )
    rng = random.Random(7)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        secret = _token(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    times = []
    for index in range(requests + 20):
        email = seed.email_of(rng.randint(2, users))
        path = "/scim/v2/Users?filter=" + quote(f'userName eq "{email}"')
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = time.perf_counter() - started
        body = response.get_json()
        if response.status_code != 200 or body["totalResults"] != 1:
            raise SystemExit(f"unexpected answer for {email}: {response.status_code} {body}")
        if index >= 20:  # the first requests warm caches and the pool
            times.append(elapsed * 1000)
    times.sort()
    return {
        "bench": "scim_user_name_eq",
        "backend": sa.make_url(url).get_backend_name(),
        "users": users,
        "requests": requests,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    url, fresh = _database(args.backend, args.users)
    try:
        if fresh:
            seed.seed(url, args.users, ["accounts"])
        print(json.dumps(measure(url, args.users, args.requests)))
    finally:
        if args.backend == "postgresql":
            _drop(url)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
