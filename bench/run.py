"""Serve a seeded database with gunicorn (2 workers) and measure the console's pages.

    python -m bench.run --backend sqlite --users 10000 [--users 1000000 ...] [--reuse]

For each endpoint: p50 and p95 of sequential requests after warm-up, SQL statements per
request (X-SQL-Count from bench/wsgi_bench.py) and response size; plus the sign-in POST, the
argon2 verify time measured in this process, and the peak RSS of the workers. Several sizes
are served at once, each by its own gunicorn, and measured page by page, back to back. The
JSON API (`GET /api/v1/users`, its first page and the page reached by following `next` 200
times) is read with a personal access token of the operator, made through the token flow.
Results go to bench/out/<backend>-<users>.json; bench/report.py turns them into
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
import sqlalchemy as sa

from bench import seed as seeder

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
WARMUP = 5
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "30"))


def database_url(backend: str, users: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{OUT / f'bench-{users}.db'}"
    return f"{PG_SERVER}/console_bench_{users}"


def prepare(backend: str, users: int, reuse: bool) -> str:
    """A seeded database for (backend, users); made anew unless --reuse finds one."""
    url = database_url(backend, users)
    OUT.mkdir(parents=True, exist_ok=True)
    marker = OUT / f"seeded-{backend}-{users}"
    if reuse and marker.exists():
        upgrade(url)  # a seeded database follows the newest migrations
        return url
    empty_database(url)
    seeder.seed(url, users)
    upgrade(url)
    marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    return url


def empty_database(url: str) -> None:
    """Remove the database at `url` (SQLite file or PostgreSQL database) and make it anew."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
        return
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def upgrade(url: str) -> None:
    """Migrate to the newest schema and compute the dashboard's snapshot, as cron would."""
    from flask_migrate import upgrade as alembic_upgrade
    from flask_security import hash_password

    from console import create_app
    from console.dashboard import snapshot
    from console.extensions import db
    from console.models import User

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": seeder.SECRET_KEY}
    )
    with app.app_context():
        alembic_upgrade(revision="heads")
        # The operator's password, hashed under the secret the server runs with.
        operator = db.session.get(User, 1)
        operator.password = hash_password(seeder.OPERATOR_PASSWORD)
        db.session.commit()
        snapshot.refresh()
        db.session.remove()
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with two sync workers on localhost."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        self.base = f"http://localhost:{self.port}"
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=seeder.SECRET_KEY)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "bench.wsgi_bench:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=10).ok:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def peak_rss_kb(self) -> int:
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks.append(int(match.group(1)))
        return max(peaks, default=0)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def sign_in(base: str, email: str, password: str) -> tuple[requests.Session, float]:
    """A signed-in HTTP session and the time of the POST alone."""
    session = requests.Session()
    page = session.get(base + "/login")
    data = {"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    started = time.perf_counter()
    response = session.post(base + "/login", data=data, allow_redirects=False)
    elapsed = time.perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed: {response.status_code}")
    return session, elapsed


def measure(session: requests.Session, url: str, headers: dict | None = None) -> dict[str, Any]:
    timings, counts, size, status = [], [], 0, 0
    for i in range(WARMUP + SAMPLES):
        started = time.perf_counter()
        response = session.get(url, headers=headers or {}, allow_redirects=False)
        elapsed = time.perf_counter() - started
        status = response.status_code
        if i >= WARMUP:
            timings.append(elapsed * 1000)
            counts.append(int(response.headers.get("X-SQL-Count", "-1")))
            size = len(response.content)
    timings.sort()
    return {
        "url": url,
        "status": status,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        # The count most requests ran: now and then one also records that its session
        # is still in use (CONSOLE_SESSION_TOUCH_INTERVAL), one UPDATE whatever N.
        "sql": statistics.mode(counts),
        "sql_max": max(counts),
        "bytes": size,
    }


def follow_next(session: requests.Session, url: str, times: int) -> str:
    """The URL reached by following the list's "next" link `times` times."""
    for _ in range(times):
        html = session.get(url).text
        match = re.search(r'<a[^>]*rel="next"[^>]*href="([^"]+)"', html) or re.search(
            r'<a[^>]*href="([^"]+)"[^>]*rel="next"', html
        )
        if not match:
            break
        url = urljoin(url, unescape(match.group(1)))
    return url


def api_token(url: str) -> str:
    """A personal access token of the operator with every permission they hold, made
    through the console's token flow (outside a request, which asks for no fresh sign-in)."""
    from datetime import timedelta

    from flask_security import naive_utcnow

    from console import create_app
    from console.api import tokens
    from console.core.policy import permissions_of
    from console.extensions import db
    from console.models import User

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": seeder.SECRET_KEY}
    )
    with app.app_context():
        operator = db.session.get(User, 1)
        created = tokens.create_token(
            operator,
            name="bench",
            scopes=sorted(permissions_of(operator)),
            expires_at=naive_utcnow() + timedelta(days=1),
        )
        db.session.remove()
        db.engine.dispose()
    return created.secret


def api_client(token: str) -> requests.Session:
    """A client without a cookie whose every request carries the token."""
    client = requests.Session()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def follow_api_next(client: requests.Session, url: str, times: int) -> str:
    """The URL reached by following the JSON page's `next` `times` times."""
    for _ in range(times):
        following = client.get(url).json().get("next")
        if not following:
            break
        url = following
    return url


class Argon2Timer:
    """Times one password verification here, with the console's settings."""

    def __init__(self) -> None:
        from flask_security import hash_password

        from console import create_app

        self.app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
        with self.app.app_context():
            self.hashed = hash_password("bench operator password")

    def once(self) -> float:
        from flask_security import verify_password

        with self.app.app_context():
            started = time.perf_counter()
            verify_password("bench operator password", self.hashed)
            return (time.perf_counter() - started) * 1000


def endpoints(base: str, users: int) -> dict[str, str | Callable[[requests.Session], str]]:
    """Name -> URL (or a function of the signed-in session that finds it)."""
    admin = base + "/admin"
    some_user = max(users // 2, 2)
    return {
        "floor (unauthenticated)": base + "/healthz",
        "authenticated JSON": base + "/api/me",
        "authenticated page": base + "/account/",
        "users: first page": admin + "/users/",
        "users: 200 x next": lambda s: follow_next(s, admin + "/users/", 200),
        # Keyset pages have no page numbers: the last page is the first in reverse order.
        "users: last page": admin + "/users/?sort=created&dir=asc",
        "users: sorted by email": admin + "/users/?sort=email&dir=asc",
        "users: prefix search": admin + "/users/?q=user00001",
        "users: filter active": admin + "/users/?active=yes",
        "users: filter confirmed": admin + "/users/?confirmed=yes",
        "users: filter role": admin + "/users/?role=2",
        "users: filter has MFA": admin + "/users/?mfa=yes",
        "users: filter locked": admin + "/users/?locked=yes",
        "users: filter last sign-in": admin + "/users/?login_before=2025-01-01",
        "users: filter signed in after": admin + "/users/?login_after=2026-10-01",
        "users: filter created": admin + "/users/?created_from=2024-01-01&created_to=2024-06-30",
        "users: HTMX rows": admin + "/users/",
        "user detail": f"{admin}/users/{some_user}/",
        "role page": admin + "/roles/details/?id=4",
        "role members (50 x next)": lambda s: follow_next(s, admin + "/roles/details/?id=4", 50),
        "sessions list": admin + "/sessions/",
        "MFA list": admin + "/mfa/",
        "audit list, filtered": admin + "/audit/?action=user.login",
        "dashboard": admin + "/dashboard/",
        # Read with the operator's personal access token (no cookie), see run().
        "API: users, first page": base + "/api/v1/users",
        "API: users, 200 x next": lambda c: follow_api_next(c, base + "/api/v1/users", 200),
    }


class Size:
    """One size's seeded database, served by its own gunicorn, and its signed-in clients."""

    def __init__(self, backend: str, users: int, reuse: bool) -> None:
        self.backend, self.users = backend, users
        url = prepare(backend, users, reuse)
        token = api_token(url)
        self.server = Server(url)
        self.api = api_client(token)
        self.session: requests.Session | None = None
        self.signins: list[float] = []
        self.results: dict[str, Any] = {"backend": backend, "users": users, "pages": {}}

    def sign_in(self) -> None:
        self.session, elapsed = sign_in(
            self.server.base, seeder.OPERATOR_EMAIL, seeder.OPERATOR_PASSWORD
        )
        self.signins.append(elapsed * 1000)

    def measure(self, name: str) -> None:
        target = endpoints(self.server.base, self.users)[name]
        client = self.api if name.startswith("API") else self.session
        if name.startswith("floor"):
            client = requests.Session()
        assert client is not None
        target_url = target(client) if callable(target) else target
        headers = {"HX-Request": "true"} if "HTMX" in name else None
        page = self.results["pages"][name] = measure(client, target_url, headers)
        print(
            f"  {self.backend:<10} {self.users:>9,} {name:<28} p50 {page['p50_ms']:>8.2f} ms  "
            f"sql {page['sql']:>3}  status {page['status']}",
            file=sys.stderr,
        )


SIGN_INS = 15


def run(backend: str, sizes: list[int], reuse: bool) -> list[dict[str, Any]]:
    """Measure every size of `backend`: each page is measured for all sizes back to back (in
    alternating order), and the sign-ins of every size alternate with argon2 verifications
    in this process, so that each ratio compares the same minutes of a shared, noisy
    machine rather than runs minutes apart."""
    served: list[Size] = []
    try:
        for users in sizes:
            served.append(Size(backend, users, reuse))
        argon2 = Argon2Timer()
        verifications = []
        for _ in range(SIGN_INS):
            verifications.append(argon2.once())
            for size in served:
                size.sign_in()
        for index, name in enumerate(endpoints("", 0)):
            for size in served if index % 2 == 0 else reversed(served):
                size.measure(name)
        for size in served:
            size.results["signin_post_p50_ms"] = round(statistics.median(size.signins[3:]), 2)
            size.results["argon2_verify_ms"] = round(statistics.median(verifications[3:]), 2)
            size.results["peak_rss_kb"] = size.server.peak_rss_kb()
    finally:
        for size in served:
            size.server.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    for size in served:
        (OUT / f"{backend}-{size.users}.json").write_text(json.dumps(size.results, indent=1))
    return [size.results for size in served]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--users",
        type=int,
        action="append",
        help="a size to measure; repeat it to measure several sizes interleaved (10000)",
    )
    parser.add_argument("--reuse", action="store_true", help="reuse a seeded database")
    args = parser.parse_args(argv)
    run(args.backend, args.users or [10_000], args.reuse)


if __name__ == "__main__":
    main()
