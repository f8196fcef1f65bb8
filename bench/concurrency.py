"""Many clients at once: throughput and p50/p95 under 8 and 32 concurrent signed-in clients.

    python -m bench.concurrency --backend postgresql --users 10000 --users 1000000 [--reuse]
        [--seconds 20]

The seeded database of bench/run.py, served by gunicorn exactly as gunicorn.conf.py ships it
(gthread, its threads per worker) with WEB_CONCURRENCY workers (4 unless set), rate limits
off. Each scenario runs for --seconds with N client threads, each its own signed-in HTTP
session: the authenticated JSON endpoint, the users list, a prefix search and the sign-in
POST. Every response reports how long its request waited for a pool connection
(X-Pool-Wait-Ms, bench/wsgi_concurrency.py). Then bystanders sign in while a burst of wrong
passwords hits one account. With several sizes, each is served by its own gunicorn and every
measurement is taken for all sizes back to back, so that their ratios come from the same
minutes (most in two half windows, in mirrored order). Results go to
bench/out/concurrency/<backend>-<users>.json, which bench/report.py turns into RESULTS.md's
concurrency tables.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import sqlalchemy as sa
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bench import seed as seeder
from bench.run import OUT, ROOT, csrf_token, free_port, prepare, sign_in

CLIENTS = (8, 32)
BURST_ATTEMPTS = 1000
BURST_THREADS = 16
VICTIM = 3  # a seeded member whose account the burst locks


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SECRET_KEY=seeder.SECRET_KEY,
        WEB_CONCURRENCY=str(workers),
        GUNICORN_APP="bench.wsgi_concurrency:app",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="",
    )
    process = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://localhost:{port}/healthz", timeout=5).ok:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError("gunicorn did not start")


POOL_SETTINGS = ("CONSOLE_DB_POOL_SIZE", "CONSOLE_DB_MAX_OVERFLOW")


def pool_setting(name: str) -> int:
    """The pool the server runs with: the environment's value, else the console's default."""
    from console.settings import DEFAULTS

    return int(os.environ.get(name) or DEFAULTS[name])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * share) - 1)], 2) if ordered else 0.0


@dataclass
class Window:
    """What the clients of one timed window saw: each answer's time, status and pool wait."""

    seconds: float
    timings: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    waits: list[tuple[float, bool]] = field(default_factory=list)


def summary(windows: list[Window]) -> dict[str, Any]:
    """Throughput, percentiles, errors and pool waits over `windows` taken together."""
    timings = [t for window in windows for t in window.timings]
    waits = [w for window in windows for w in window.waits]
    statuses: Counter = sum((window.statuses for window in windows), Counter())
    seconds = sum(window.seconds for window in windows)
    return {
        "requests": len(timings),
        "per_second": round(len(timings) / seconds, 1),
        "p50_ms": round(statistics.median(timings), 2) if timings else 0.0,
        "p95_ms": percentile(timings, 0.95),
        "errors": sum(n for status, n in statuses.items() if status >= 500 or status == 0),
        "statuses": dict(statuses),
        "found_pool_full": sum(1 for _, full in waits if full),
        "pool_checkout_p95_ms": percentile([wait for wait, _ in waits], 0.95),
    }


def members(url: str, count: int) -> list[str]:
    """Active seeded members who sign in with a password alone (every seeded account has
    the same password; the even ones have an authenticator app)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        emails = conn.execute(
            sa.text(
                'SELECT email FROM "user" WHERE active AND tf_primary_method IS NULL'
                " AND id > :first ORDER BY id LIMIT :count"
            ),
            {"first": VICTIM, "count": count},
        ).scalars()
        found = list(emails)
    engine.dispose()
    return found


def _pool(response: requests.Response) -> tuple[float, bool]:
    """How long the request took to get a pool connection, and whether the pool was full."""
    wait = float(response.headers.get("X-Pool-Wait-Ms", 0))
    return wait, response.headers.get("X-Pool-Full") == "1"


class Scenario:
    """One kind of request, made by a client thread with its own signed-in session."""

    def __init__(self, name: str, base: str, path: str | None, emails: list[str]) -> None:
        self.name, self.base, self.path, self.emails = name, base, path, emails

    def session(self, index: int) -> requests.Session:
        session, _ = sign_in(self.base, self.emails[index], seeder.OPERATOR_PASSWORD)
        return session

    def once(self, session: requests.Session, index: int) -> tuple[int, float, tuple[float, bool]]:
        if self.path is not None:
            started = time.perf_counter()
            response = session.get(self.base + self.path, allow_redirects=False)
            elapsed = time.perf_counter() - started
            return response.status_code, elapsed, _pool(response)
        # A whole sign-in POST of a bystander (the GET for its CSRF token is not timed).
        fresh = requests.Session()
        page = fresh.get(self.base + "/login")
        data = {
            "email": self.emails[index],
            "password": seeder.OPERATOR_PASSWORD,
            "csrf_token": csrf_token(page.text),
        }
        started = time.perf_counter()
        response = fresh.post(self.base + "/login", data=data, allow_redirects=False)
        elapsed = time.perf_counter() - started
        status = response.status_code if response.status_code != 302 else 200
        return status, elapsed, _pool(response)


def retry_reused_connections(session: requests.Session) -> None:
    """Send a GET again once when its kept-alive connection was closed under it, as browsers
    do: a gunicorn worker that reaches its max_requests closes its idle connections while a
    client may be sending on one. Sign-in POSTs use fresh connections and are never resent."""
    retry = Retry(total=1, connect=1, read=1, status=0, allowed_methods={"GET"})
    session.mount("http://", HTTPAdapter(max_retries=retry))


def drive(scenario: Scenario, clients: int, seconds: float, operator: bool) -> Window:
    """`clients` threads making `scenario`'s request for `seconds`."""
    sessions = []
    for index in range(clients):
        if operator:  # the operator pages: every client is the seeded operator
            session, _ = sign_in(scenario.base, seeder.OPERATOR_EMAIL, seeder.OPERATOR_PASSWORD)
        else:
            session = scenario.session(index)
        retry_reused_connections(session)
        sessions.append(session)
    window = Window(seconds)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        start.wait()
        while time.perf_counter() < stop_at[0]:
            try:
                status, elapsed, wait = scenario.once(sessions[index], index)
            except requests.RequestException:
                status, elapsed, wait = 0, 0.0, (0.0, False)
            with lock:
                window.statuses[status] += 1
                if status:
                    window.timings.append(elapsed * 1000)
                    window.waits.append(wait)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return window


def burst(base: str, attempts: int, threads: int) -> None:
    """`attempts` wrong passwords at one account from `threads` attacker threads."""
    victim = seeder.email_of(VICTIM)
    share = attempts // threads

    def attacker() -> None:
        session = requests.Session()
        token = csrf_token(session.get(base + "/login").text)
        for _ in range(share):
            data = {"email": victim, "password": "wrong password", "csrf_token": token}
            with contextlib.suppress(requests.RequestException):
                session.post(base + "/login", data=data, allow_redirects=False, timeout=60)

    workers = [threading.Thread(target=attacker) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


class Served:
    """One size's seeded database, served by its own gunicorn, with its scenarios."""

    def __init__(self, backend: str, users: int, reuse: bool, workers: int) -> None:
        self.backend, self.users = backend, users
        url = prepare(backend, users, reuse)
        port = free_port()
        base = f"http://localhost:{port}"
        self.base = base
        self.server = start_server(url, port, workers)
        emails = members(url, max(CLIENTS))
        # name -> (scenario, whether its clients are the operator)
        self.scenarios = {
            "authenticated JSON": (Scenario("authenticated JSON", base, "/api/me", emails), False),
            "users list": (Scenario("users list", base, "/admin/users/", emails), True),
            "search": (Scenario("search", base, "/admin/users/?q=user00001", emails), True),
            "sign-in POST": (Scenario("sign-in POST", base, None, emails), False),
        }
        self.results: dict[str, Any] = {
            "backend": backend,
            "users": users,
            "workers": workers,
            "pool": {name: pool_setting(name) for name in POOL_SETTINGS},
        }

    def stop(self) -> None:
        os.killpg(self.server.pid, signal.SIGTERM)
        self.server.wait(timeout=30)


Take = Callable[[Served, float], Window]


def steps() -> list[tuple[str, Take, bool]]:
    """Every measurement of one size, in order: (result key, how to take it for a number of
    seconds, whether it may be split into two windows)."""

    def scenario(name: str, clients: int) -> Take:
        def take(served: Served, seconds: float) -> Window:
            found, operator = served.scenarios[name]
            return drive(found, clients, seconds, operator)

        return take

    def during_burst(served: Served, seconds: float) -> Window:
        attack = threading.Thread(target=burst, args=(served.base, BURST_ATTEMPTS, BURST_THREADS))
        attack.start()
        try:
            return drive(served.scenarios["sign-in POST"][0], 8, seconds, False)
        finally:
            attack.join()

    found = [("sequential JSON", scenario("authenticated JSON", 1), True)]
    found += [
        (f"{name} x{clients}", scenario(name, clients), True)
        for clients in CLIENTS
        for name in ("authenticated JSON", "users list", "search", "sign-in POST")
    ]
    # Bystanders sign in without, then during, one burst of wrong passwords at one account.
    found += [("bystanders alone", scenario("sign-in POST", 8), False)]
    found += [("bystanders during burst", during_burst, False)]
    return found


def run(
    backend: str, sizes: list[int], reuse: bool, seconds: float, workers: int
) -> list[dict[str, Any]]:
    """Measure every size of `backend` so that the ratios between sizes compare the same
    minutes of a shared, noisy machine rather than two runs minutes apart: each step is
    taken for all sizes back to back, and most in two half windows in mirrored order (10k,
    1M, 1M, 10k), which cancels a steady drift of the machine's speed."""
    served: list[Served] = []
    try:
        for users in sizes:
            served.append(Served(backend, users, reuse, workers))
        for one in served:
            # Warm every worker's pool and caches.
            drive(one.scenarios["authenticated JSON"][0], 4, 3, False)
        for index, (key, take, split) in enumerate(steps()):
            order = served if index % 2 == 0 else served[::-1]
            windows: dict[int, list[Window]] = {one.users: [] for one in served}
            rounds = [order, order[::-1]] if split else [order]
            for round_order in rounds:
                for one in round_order:
                    windows[one.users].append(take(one, seconds / len(rounds)))
            for one in served:
                one.results[key] = summary(windows[one.users])
                print(f"  {backend} {one.users:>9,} {key:<26} {one.results[key]}", file=sys.stderr)
    finally:
        for one in served:
            one.stop()
    (OUT / "concurrency").mkdir(parents=True, exist_ok=True)
    for one in served:
        one.results["seconds"] = seconds
        path = OUT / "concurrency" / f"{backend}-{one.users}.json"
        path.write_text(json.dumps(one.results, indent=1))
    return [one.results for one in served]


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
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    args = parser.parse_args(argv)
    sizes = args.users or [10_000]
    result = run(args.backend, sizes, args.reuse, args.seconds, args.workers)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
