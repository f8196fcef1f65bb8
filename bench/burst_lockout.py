"""Burst check: concurrent wrong passwords on one account against a real server.

Serves the console with gunicorn exactly as gunicorn.conf.py ships it (rate-limit counters in
Redis; the limits themselves off unless --rate-limits: the worst case is a burst the limiter
does not stop). First measures another account's sign-in alone, then fires the burst from
many client addresses (through X-Forwarded-For, as behind a proxy) and measures that sign-in
again while the burst runs. Checks: a lock, no 5xx, a failure count equal to the attempts
that reached the password check (counted from the server's log), and the other account
unaffected and not slowed past RATIO_LIMIT times its own p50/p95. Creates its own PostgreSQL
database (or SQLite file) and drops it at the end. Bounded in attempts and in time; talks
to 127.0.0.1 only.

    .venv/bin/python bench/burst_lockout.py [--backend postgresql|sqlite] [--attempts 3000]
        [--concurrency 300] [--samples 20] [--rate-limits]
"""

from __future__ import annotations

import argparse
import collections
import logging
import multiprocessing
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BURST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BURST_REDIS", "redis://127.0.0.1:6379/14")
VICTIM, BYSTANDER = "victim@example.com", "bystander@example.com"
PASSWORD = "correct horse battery staple 7"  # noqa: S105 (a throw-away bench account)
# The bystander's sign-in during the burst may take at most this many times as long as alone.
RATIO_LIMIT = 3.0


def server_app():  # noqa: ANN201  (gunicorn calls this in each worker)
    """The console as the bench serves it: production settings, INFO logs with the pid."""
    logging.basicConfig(level=logging.INFO, format="%(process)d %(levelname)s %(name)s %(message)s")
    sys.path.insert(0, str(ROOT))
    from console import create_app

    return create_app(
        {
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": os.environ["BURST_KEY_PREFIX"],
            "RATELIMIT_ENABLED": os.environ.get("BURST_RATE_LIMITS") == "on",
        }
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'console.db'}"
    name = f"console_burst_{uuid.uuid4().hex[:10]}"
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
    # Only what says where to listen and what to serve: workers, threads and the worker
    # class are gunicorn.conf.py's own defaults, as `make serve` runs them.
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
            GUNICORN_ACCESS_LOG="",
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
    response = requests.get(f"{base}/login", headers=_proxy_headers(base, address), timeout=60)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
    assert token, "no CSRF token on the sign-in page"
    return response.cookies.get_dict(), token.group(1)


def _bystander_signs_in(base: str) -> tuple[int, float]:
    """The status of one sign-in of the other account and the seconds its POST took."""
    address = "203.0.113.250"
    try:
        cookies, token = _signed_out_session(base, address)
    except (requests.RequestException, AssertionError):
        return -1, float("inf")
    started = time.monotonic()
    try:
        response = requests.post(
            f"{base}/login",
            data={"email": BYSTANDER, "password": PASSWORD, "csrf_token": token},
            cookies=cookies,
            headers=_proxy_headers(base, address),
            allow_redirects=False,
            timeout=60,
        )
        status = response.status_code
    except requests.RequestException:
        status = -1
    return status, time.monotonic() - started


def _workers(master: int) -> list[dict[str, int]]:
    """Peak resident memory (MiB) and thread count of each of the server's workers."""
    found = []
    for task in Path(f"/proc/{master}/task").iterdir():
        for pid in (task / "children").read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            found.append(
                {
                    "peak_mib": int(fields["VmHWM"].split()[0]) // 1024,
                    "threads": int(fields["Threads"]),
                }
            )
    return found


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _summary(values: list[float]) -> tuple[float, float]:
    return _percentile(values, 0.5), _percentile(values, 0.95)


def _server_shape(text: str) -> str:
    workers = len(set(re.findall(r"Booting worker with pid: (\d+)", text)))
    kind = re.search(r"Using worker: (\w+)", text)
    threads = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"]
    return f"{workers} workers x {threads} threads, {kind.group(1) if kind else '?'}"


# Client processes the attackers are spread over (each runs concurrency / this many threads).
ATTACKER_PROCESSES = 4


def _attack_group(  # noqa: PLR0913 (one process's share of the burst)
    base: str,
    cookies: dict[str, str],
    token: str,
    group: int,
    groups: int,
    args: argparse.Namespace,
    deadline: float,
    stop: Any,
    sent: Any,
    results: Any,
) -> None:
    """Wrong passwords numbered group, group + groups, ... from this process's threads."""
    numbers = iter(range(group, args.attempts, groups))
    lock = threading.Lock()
    statuses: collections.Counter[int] = collections.Counter()

    def attacker() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
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
                    timeout=60,
                )
                status = response.status_code
            except requests.RequestException:
                status = -1
            with lock:
                statuses[status] += 1
            with sent.get_lock():
                sent.value += 1

    share = args.concurrency // groups + (group < args.concurrency % groups)
    threads = [threading.Thread(target=attacker) for _ in range(share)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    results.put(dict(statuses))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--attempts", type=int, default=3000, help="at most this many")
    parser.add_argument("--concurrency", type=int, default=300)
    parser.add_argument("--samples", type=int, default=20, help="bystander sign-ins per phase")
    parser.add_argument("--rate-limits", action="store_true", help="keep the rate limits on")
    parser.add_argument("--max-seconds", type=float, default=180, help="the burst's time cap")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="console-burst-"))
    database = _create_database(args.backend, workdir)
    env = dict(
        os.environ,
        DATABASE_URL=database,
        REDIS_URL=REDIS_URL,
        CONSOLE_ENV="production",
        SECRET_KEY=uuid.uuid4().hex * 2,
        CONSOLE_PROXY_FIX="1",
        CONSOLE_INSTANCE_PATH=str(workdir),
        BURST_KEY_PREFIX=f"burst-{uuid.uuid4().hex[:8]}",
        BURST_RATE_LIMITS="on" if args.rate_limits else "off",
    )
    log = workdir / "server.log"
    server = None
    try:
        _prepare(env)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start(env, port, log)
        # Every worker renders the sign-in page and hashes once before anything is timed.
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: _bystander_signs_in(base), range(8)))
        alone = [_bystander_signs_in(base) for _ in range(args.samples)]
        cookies, token = _signed_out_session(base, "198.51.100.1")

        # The attackers run in processes of their own: 300 client threads in the process that
        # times the bystander would make it wait for its own interpreter lock, and the bench
        # would measure the client instead of the server.
        context = multiprocessing.get_context("fork")
        stop = context.Event()
        sent = context.Value("i", 0)
        results = context.Queue()
        deadline = time.monotonic() + args.max_seconds
        groups = min(ATTACKER_PROCESSES, args.concurrency)
        processes = [
            context.Process(
                target=_attack_group,
                args=(base, cookies, token, group, groups, args, deadline, stop, sent, results),
            )
            for group in range(groups)
        ]
        started = time.monotonic()
        for process in processes:
            process.start()
        # Measured once every attacker has a request in flight and the lock is in place.
        while sent.value < args.concurrency and time.monotonic() < deadline:
            time.sleep(0.1)
        during = []
        while len(during) < args.samples and time.monotonic() < deadline:
            if not any(process.is_alive() for process in processes):
                break  # the burst ran out of attempts: what follows would not be "during"
            during.append(_bystander_signs_in(base))
        stop.set()
        statuses: collections.Counter[int] = collections.Counter()
        for _ in processes:
            statuses.update(results.get(timeout=120))
        for process in processes:
            process.join(timeout=30)
        elapsed = time.monotonic() - started
        after = _bystander_signs_in(base)
        workers = _workers(server.pid)
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
    attempts = sum(statuses.values())
    refused_by_lock = statuses.get(200, 0) - processed
    alone_p50, alone_p95 = _summary([seconds for _status, seconds in alone])
    during_p50, during_p95 = _summary([seconds for _status, seconds in during] or [float("inf")])
    ratio_p50, ratio_p95 = during_p50 / alone_p50, during_p95 / alone_p95
    bystander_statuses = collections.Counter(status for status, _ in alone + during + [after])
    checks = {
        "account locked": row.locked_until is not None and row.lockout_count >= 1,
        "zero 5xx responses": server_errors == 0 and statuses.get(-1, 0) == 0,
        "failure count == attempts checked": row.failed_login_count == processed,
        "bystander measured during the burst": len(during) == args.samples,
        "bystander signs in alone, during and after the burst": set(bystander_statuses) == {302},
        f"bystander p50 and p95 under {RATIO_LIMIT:g}x during the burst": max(ratio_p50, ratio_p95)
        < RATIO_LIMIT,
        "bystander untouched": bystander.failed_login_count == 0 and bystander.locked_until is None,
    }
    limits = "on" if args.rate_limits else "off"
    print(f"burst: {attempts} wrong passwords on {VICTIM}, {args.concurrency} at a time, "
          f"{elapsed:.1f} s, rate limits {limits}")  # fmt: skip
    print(f"server: gunicorn.conf.py as shipped ({_server_shape(text)}), "
          f"{'PostgreSQL' if args.backend == 'postgresql' else 'SQLite'}, Redis")  # fmt: skip
    print(
        f"workers after the burst: peak RSS {max(w['peak_mib'] for w in workers)} MiB, "
        f"{max(w['threads'] for w in workers)} threads at most"
    )
    print(f"responses: {dict(sorted(statuses.items()))}  (429 = rate limit; 200 = refused)")
    print(f"password checks that ran (server log): {processed}")
    print(f"refused by the lock before any check: {refused_by_lock}")
    print(f"refused by the rate limit (429) before any check: {statuses.get(429, 0)}")
    print(f"victim: failed_login_count={row.failed_login_count} lockout_count={row.lockout_count}")
    print(f"victim: locked_until={row.locked_until} (locks logged: {locks})")
    print(f"bystander sign-in statuses: {dict(sorted(bystander_statuses.items()))}")
    for label, (p50, p95), count in (
        ("alone: ", (alone_p50, alone_p95), len(alone)),
        ("during:", (during_p50, during_p95), len(during)),
    ):
        print(f"bystander sign-in {label} p50 {p50 * 1000:.0f} ms  p95 {p95 * 1000:.0f} ms"
              f"  ({count} sign-ins)")  # fmt: skip
    print(f"bystander ratio during/alone: p50 {ratio_p50:.2f}x  p95 {ratio_p95:.2f}x")
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
