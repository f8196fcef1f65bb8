"""Sign-in with webhooks: the sign-in POST's p50 with three endpoints registered against none.

    .venv/bin/python bench/webhook_fanout.py [--backend sqlite|postgresql] [--samples 40]

Serves the console with gunicorn as gunicorn.conf.py ships it (as bench/burst_lockout.py
does) and a real `flask console worker` beside it (the job queue in a SQLite file), on a
database of its own (a SQLite file, or a PostgreSQL database it creates and drops). A
receiver on 127.0.0.1 answers every webhook with 204 (CONSOLE_WEBHOOKS_ALLOW_PRIVATE is on
for it). Three endpoints subscribed to sign-ins are registered; the same account signs in
`--samples` times with them paused (no event is queued for a paused endpoint: the same as
none) and as many times with them active, alternating in rounds so that both phases see
the same machine; each POST is timed alone (the sign-in page and its CSRF token are fetched
before the clock starts). Checks: each endpoint got every sign-in made while it was active
(the worker delivered them), and the p50 with endpoints is within RATIO_LIMIT of the p50
without. Talks to 127.0.0.1 only.
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
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
EMAIL = "fanout@example.com"
PASSWORD = "correct horse battery staple 7"  # noqa: S105 (a throw-away bench account)
ENDPOINTS = 3
RATIO_LIMIT = 1.1
ROUNDS = 4


class Receiver:
    """A webhook receiver on 127.0.0.1 that records what it gets: (path, webhook-id)."""

    def __init__(self) -> None:
        received: list[tuple[str, str]] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server spelling
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    received.append((self.path, self.headers.get("webhook-id", "")))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook/{index}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'console.db'}"
    name = f"console_fanout_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG_SERVER}/{name}"


def _drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return  # the file goes with the bench's temporary folder
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _run_in_console(env: dict[str, str], code: str) -> None:
    prologue = (
        "from console import create_app, resource_dir\n"
        "from console.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
    )
    body = "".join(f"    {line}\n" for line in code.strip().splitlines())
    subprocess.run([sys.executable, "-c", prologue + body], env=env, cwd=ROOT, check=True)  # noqa: S603


def _prepare(env: dict[str, str]) -> None:
    _run_in_console(
        env,
        f"""
import flask_migrate
from console.accounts import create_account
flask_migrate.upgrade(directory=str(resource_dir('migrations')), revision='heads')
create_account({EMAIL!r}, {PASSWORD!r})
db.session.commit()
""",
    )


def _add_endpoints(env: dict[str, str], urls: list[str]) -> None:
    """Register `urls` through the flow, as the shell does."""
    _run_in_console(
        env,
        f"""
from console.webhooks import flows
for url in {urls!r}:
    flows.create_endpoint(None, url=url, event_types=['group:sign_in', 'group:failure'])
""",
    )


def _set_enabled(env: dict[str, str], enabled: bool) -> None:
    """Resume or pause every endpoint (paused: no event is queued for it)."""
    _run_in_console(
        env,
        f"""
from sqlalchemy import select
from console.webhooks import flows
from console.webhooks.models import WebhookEndpoint
for found in list(db.session.scalars(select(WebhookEndpoint))):
    flows.set_enabled(None, found, {enabled!r})
""",
    )


def _start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    # Workers, threads and the worker class are gunicorn.conf.py's own defaults.
    process = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
        env=dict(
            env, GUNICORN_APP="wsgi:app", GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_ACCESS_LOG=""
        ),  # fmt: skip
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit(f"server did not start, see {log}")


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "wsgi", "console", "worker", "--workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _signs_in(base: str) -> float:
    """Seconds the sign-in POST took (the page and its token fetched before)."""
    with requests.Session() as session:
        page = session.get(f"{base}/login", timeout=30)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        data = {"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
        started = time.perf_counter()
        response = session.post(f"{base}/login", data=data, allow_redirects=False, timeout=30)
        elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return elapsed


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--samples", type=int, default=40, help="sign-ins per phase")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="console-fanout-"))
    database = _create_database(args.backend, workdir)
    env = dict(
        os.environ,
        DATABASE_URL=database,
        SECRET_KEY=uuid.uuid4().hex * 2,
        CONSOLE_INSTANCE_PATH=str(workdir),
        CONSOLE_JOBS_SQLITE_PATH=str(workdir / "jobs.db"),
        CONSOLE_WEBHOOKS_ALLOW_PRIVATE="true",
        RATELIMIT_ENABLED="false",
    )
    receiver = Receiver()
    server = worker = None
    none: list[float] = []
    three: list[float] = []
    try:
        _prepare(env)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start_server(env, port, workdir / "server.log")
        worker = _start_worker(env, workdir / "worker.log")
        for _ in range(8):  # every worker renders the page and hashes once first
            _signs_in(base)
        per_round = max(1, args.samples // ROUNDS)
        _add_endpoints(env, [receiver.url(i) for i in range(ENDPOINTS)])
        for _round in range(ROUNDS):
            _set_enabled(env, False)
            _signs_in(base)
            none += [_signs_in(base) for _ in range(per_round)]
            _set_enabled(env, True)
            _signs_in(base)
            three += [_signs_in(base) for _ in range(per_round)]
        # Each endpoint gets every sign-in of the rounds it was active in (timed or not).
        expected = ENDPOINTS * (len(three) + ROUNDS)
        deadline = time.monotonic() + 120
        while len(set(receiver.received)) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        _stop(worker)
        _stop(server)
        receiver.stop()
    _drop_database(database)

    p50_none, p50_three = statistics.median(none), statistics.median(three)
    ratio = p50_three / p50_none
    distinct = len(set(receiver.received))
    checks = {
        f"each endpoint got every sign-in made while it was active ({distinct}/{expected})": (
            distinct >= expected
        ),
        f"p50 with {ENDPOINTS} endpoints within {RATIO_LIMIT:g}x of none": ratio <= RATIO_LIMIT,
    }
    print(
        f"sign-in POST, {'SQLite' if args.backend == 'sqlite' else 'PostgreSQL'}, "
        f"gunicorn.conf.py as shipped + 1 worker thread, {len(none)} + {len(three)} samples "
        f"in {ROUNDS} alternating rounds"
    )
    print(f"  no endpoint:          p50 {p50_none * 1000:7.1f} ms")
    print(f"  {ENDPOINTS} endpoints:          p50 {p50_three * 1000:7.1f} ms  ({ratio:.2f}x)")
    print(f"  webhook requests received: {len(receiver.received)} ({distinct} distinct)")
    for label, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {label}")
    print(json.dumps({"p50_none_ms": round(p50_none * 1000, 2),
                      "p50_three_ms": round(p50_three * 1000, 2),
                      "ratio": round(ratio, 3)}))  # fmt: skip
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
