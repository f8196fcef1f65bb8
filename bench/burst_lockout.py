"""Burst check: 1,000 concurrent wrong passwords on one account against a real server.

Creates its own PostgreSQL database, serves the console with gunicorn (two workers,
rate-limit counters in Redis), fires the burst from many client addresses (through
X-Forwarded-For, as behind a proxy) while another account signs in, then checks: a lock,
no 5xx, a failure count equal to the attempts that reached the password check (counted
from the server's log), and the other account unaffected. Drops the database at the end.

    .venv/bin/python bench/burst_lockout.py [--attempts 1000] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BURST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BURST_REDIS", "redis://127.0.0.1:6379/14")
VICTIM, BYSTANDER = "victim@example.com", "bystander@example.com"
PASSWORD = "correct horse battery staple 7"  # noqa: S105 (a throw-away bench account)


def server_app():  # noqa: ANN201  (gunicorn calls this in each worker)
    """The console as the bench serves it: production settings, INFO logs with the pid."""
    logging.basicConfig(level=logging.INFO, format="%(process)d %(levelname)s %(name)s %(message)s")
    sys.path.insert(0, str(ROOT))
    from console import create_app

    return create_app(
        {
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": os.environ["BURST_KEY_PREFIX"],
        }
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_database() -> str:
    name = f"console_burst_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG_SERVER}/{name}"


def _drop_database(url: str) -> None:
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _prepare(env: dict[str, str]) -> None:
    code = (
        "import flask_migrate\n"
        "from console import create_app, resource_dir\n"
        "from console.accounts import create_account\n"
        "from console.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    flask_migrate.upgrade(directory=str(resource_dir('migrations')), revision='heads')\n"
        f"    create_account({VICTIM!r}, {PASSWORD!r})\n"
        f"    create_account({BYSTANDER!r}, {PASSWORD!r})\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)  # noqa: S603


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--pythonpath",
            str(ROOT / "bench"),
            "--backlog",
            "2048",
        ],  # fmt: skip
        env=dict(
            env,
            GUNICORN_APP="burst_lockout:server_app()",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="2",
            GUNICORN_ACCESS_LOG="",
            GUNICORN_MAX_REQUESTS="0",
        ),
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit(f"server did not start, see {log}")


def _proxy_headers(base: str, address: str) -> dict[str, str]:
    """What the TLS-terminating proxy in front of the console would add."""
    return {
        "X-Forwarded-For": address,
        "X-Forwarded-Proto": "https",
        "Referer": base.replace("http://", "https://") + "/login",
    }


def _signed_out_session(base: str, address: str) -> tuple[dict[str, str], str]:
    """The cookies (sent by hand: they are Secure, the bench speaks plain HTTP to the proxy's
    side) and the CSRF token of a fresh sign-in page."""
    response = requests.get(f"{base}/login", headers=_proxy_headers(base, address), timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
    assert token, "no CSRF token on the sign-in page"
    return response.cookies.get_dict(), token.group(1)


def _bystander_signs_in(base: str) -> int:
    address = "203.0.113.250"
    cookies, token = _signed_out_session(base, address)
    response = requests.post(
        f"{base}/login",
        data={"email": BYSTANDER, "password": PASSWORD, "csrf_token": token},
        cookies=cookies,
        headers=_proxy_headers(base, address),
        allow_redirects=False,
        timeout=120,
    )
    return response.status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="console-burst-"))
    database = _create_database()
    env = dict(
        os.environ,
        DATABASE_URL=database,
        REDIS_URL=REDIS_URL,
        CONSOLE_ENV="production",
        SECRET_KEY=uuid.uuid4().hex * 2,
        CONSOLE_PROXY_FIX="1",
        CONSOLE_INSTANCE_PATH=str(workdir),
        BURST_KEY_PREFIX=f"burst-{uuid.uuid4().hex[:8]}",
    )
    log = workdir / "server.log"
    server = None
    try:
        _prepare(env)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start(env, port, log)
        cookies, token = _signed_out_session(base, "198.51.100.1")

        def attempt(number: int) -> int:
            try:
                response = requests.post(
                    f"{base}/login",
                    data={"email": VICTIM, "password": f"guess {number}", "csrf_token": token},
                    cookies=cookies,
                    # Each attempt from its own address: the per-account limit must hold.
                    headers={
                        "X-Forwarded-For": f"10.{number // 65536}.{number // 256 % 256}"
                        f".{number % 256}"
                    },
                    allow_redirects=False,
                    timeout=300,
                )
                return response.status_code
            except requests.RequestException:
                return -1

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            futures = [pool.submit(attempt, n) for n in range(args.attempts)]
            during = _bystander_signs_in(base)
            statuses = collections.Counter(f.result() for f in futures)
        elapsed = time.monotonic() - started
        after = _bystander_signs_in(base)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    text = log.read_text() if log.exists() else ""
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                'SELECT id, failed_login_count, lockout_count, locked_until FROM "user" '
                "WHERE email = :email"
            ),
            {"email": VICTIM},
        ).one()
        bystander = conn.execute(
            sa.text('SELECT failed_login_count, locked_until FROM "user" WHERE email = :e'),
            {"e": BYSTANDER},
        ).one()
    engine.dispose()
    _drop_database(database)

    processed = len(re.findall(rf"credential check failed user_id={row.id} ", text))
    locks = len(re.findall(rf"account locked user_id={row.id} ", text))
    server_errors = sum(n for code, n in statuses.items() if code >= 500)
    refused_by_lock = statuses.get(200, 0) - processed
    checks = {
        "account locked": row.locked_until is not None and row.lockout_count >= 1,
        "zero 5xx responses": server_errors == 0 and statuses.get(-1, 0) == 0,
        "failure count == attempts checked": row.failed_login_count == processed,
        "bystander signs in during the burst": during == 302,
        "bystander signs in after the burst": after == 302,
        "bystander untouched": bystander.failed_login_count == 0 and bystander.locked_until is None,
    }
    print(f"burst: {args.attempts} wrong passwords on {VICTIM}, {args.concurrency} at a time, "
          f"{elapsed:.1f} s, gunicorn 2 workers, PostgreSQL, Redis")  # fmt: skip
    print(f"responses: {dict(sorted(statuses.items()))}  (429 = rate limit; 200 = refused)")
    print(f"password checks that ran (server log): {processed}")
    print(f"refused by the lock before any check: {refused_by_lock}")
    print(f"refused by the rate limit (429) before any check: {statuses.get(429, 0)}")
    print(f"victim: failed_login_count={row.failed_login_count} lockout_count={row.lockout_count}")
    print(f"victim: locked_until={row.locked_until} (locks logged: {locks})")
    print(f"bystander sign-in: during={during} after={after}")
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
