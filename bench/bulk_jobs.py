"""Deactivate every account a filter matches, as a background job, on a seeded database.

    python -m bench.bulk_jobs --users 100000 [--backend postgresql] [--reuse]

Seeds N accounts plus the operator (bench/seed.py's accounts: every user but the operator
in the role "Member", all made active), signs in as the operator in this process and times
the three requests of the users page's "every matching user" flow: the filtered list and
the confirmation page (its one COUNT), each the median of five after a warm-up, and the
confirmed POST that stores and queues the job.
A real `flask console worker` (one thread, Huey on a SQLite file) runs the job; the
benchmark times it from the confirmation to "done", reads the worker's peak RSS, and checks
that every account is inactive with exactly one audit event. Results go to
bench/out/jobs/; bench/report.py adds them to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import seed as seeder
from bench.run import OUT, PG_SERVER, ROOT, empty_database

JOBS_OUT = OUT / "jobs"
MEMBER_ROLE = 4  # bench/seed.py: every user but the operator


def database_url(backend: str, users: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{JOBS_OUT / f'bulk-{users}.db'}"
    return f"{PG_SERVER}/console_bench_jobs_{users}"


def prepare(backend: str, users: int, reuse: bool) -> str:
    """A database with `users` members and the operator, every account active."""
    url = database_url(backend, users)
    JOBS_OUT.mkdir(parents=True, exist_ok=True)
    marker = JOBS_OUT / f"seeded-{backend}-{users}"
    if not (reuse and marker.exists()):
        empty_database(url)
        seeder.seed(url, users + 1, ["accounts"])
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    # A fresh start for every run: everyone active, no job (the audit trail only grows).
    engine = seeder.seeding_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text('UPDATE "user" SET active = true'))
        conn.execute(sa.text("DELETE FROM console_job_report"))
        conn.execute(sa.text("DELETE FROM console_job"))
    engine.dispose()
    return url


def environment(url: str, queue_file: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": seeder.SECRET_KEY,
        "CONSOLE_JOBS_SQLITE_PATH": str(queue_file),
        "FLASK_APP": "wsgi.py",
    }


def peak_rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) if found else 0


def timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, round((time.perf_counter() - started) * 1000, 1)


def median_of(call: Any, samples: int = 5) -> tuple[Any, float]:
    """The last answer and the median time of `samples` calls after one to warm up."""
    call()
    answers = [timed(call) for _ in range(samples)]
    return answers[-1][0], sorted(ms for _answer, ms in answers)[samples // 2]


def run(backend: str, users: int, reuse: bool) -> dict[str, Any]:
    url = prepare(backend, users, reuse)
    queue_file = JOBS_OUT / f"queue-{backend}-{users}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{queue_file}{suffix}").unlink(missing_ok=True)
    env = environment(url, queue_file)

    from console import create_app
    from console.audit.models import AuditEvent
    from console.extensions import db
    from console.jobs.models import Job
    from console.models import User

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": seeder.SECRET_KEY,
            "CONSOLE_JOBS_SQLITE_PATH": str(queue_file),
            # The requests are timed in this process; the form's CSRF token is not the point.
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "console", "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(JOBS_OUT / f"worker-{backend}-{users}.log", "w"),  # noqa: SIM115
    )
    try:
        with app.app_context():
            client = app.test_client()
            signed_in = client.post(
                "/login",
                data={"email": seeder.OPERATOR_EMAIL, "password": seeder.OPERATOR_PASSWORD},
            )
            assert signed_in.status_code == 302, signed_in.status_code
            # Events written from here on are the job's.
            before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
            form = {"action": "deactivate", "scope": "matching", "filters": f"role={MEMBER_ROLE}"}
            listing, list_ms = median_of(lambda: client.get(f"/admin/users/?role={MEMBER_ROLE}"))
            assert listing.status_code == 200
            confirm, confirm_ms = median_of(lambda: client.post("/admin/users/action/", data=form))
            assert confirm.status_code == 200 and f"all {users} users" in confirm.get_data(
                as_text=True
            ), confirm.get_data(as_text=True)[:2000]
            started = time.perf_counter()
            queued, start_ms = timed(
                lambda: client.post("/admin/users/action/", data={**form, "confirm": "yes"})
            )
            assert queued.status_code == 302, queued.status_code
            job_id = int(queued.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            peak = 0
            progress_page_ms = []
            while True:
                time.sleep(0.5)
                peak = max(peak, peak_rss_kb(worker.pid))
                db.session.rollback()
                job = db.session.get(Job, job_id)
                db.session.refresh(job)
                if len(progress_page_ms) < 5 and job.state == "running":
                    _page, ms = timed(lambda: client.get(f"/admin/jobs/{job_id}/"))
                    progress_page_ms.append(ms)
                if job.state not in ("queued", "running"):
                    break
                if worker.poll() is not None:
                    raise RuntimeError("the worker stopped; see its log in bench/out/jobs/")
            elapsed = time.perf_counter() - started
            inactive = db.session.scalar(
                sa.select(sa.func.count()).select_from(User).where(User.active.is_(False))
            )
            events = db.session.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(AuditEvent.subject_id))).where(
                    AuditEvent.action == "admin.user.deactivated", AuditEvent.id > before
                )
            ).one()
            result = {
                "backend": backend,
                "users": users,
                "action": "deactivate",
                "state": job.state,
                "error": job.error,
                "matched": job.total,
                "processed": job.processed,
                "outcomes": job.outcomes,
                "batch_size": app.config["CONSOLE_JOBS_BATCH_SIZE"],
                "list_ms": list_ms,
                "confirm_ms": confirm_ms,
                "start_ms": start_ms,
                "job_s": round(elapsed, 1),
                "per_second": round((job.processed or 0) / elapsed),
                "progress_page_ms": sorted(progress_page_ms)[len(progress_page_ms) // 2]
                if progress_page_ms
                else None,
                "worker_peak_rss_kb": peak,
                "inactive_after": inactive,
                "audit_events": events[0],
                "audit_subjects": events[1],
            }
            db.session.remove()
            db.engine.dispose()
    finally:
        worker.send_signal(2)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    """The section bench/report.py puts in bench/RESULTS.md."""
    lines = [
        "## Bulk action over every matching account, as a background job",
        "",
        "`python -m bench.bulk_jobs` (bench/bulk_jobs.py): N members and the operator, all "
        "active; the operator deactivates every member (the users list filtered by role, "
        "*Or to every user matching the filters…*). The three requests are timed in the "
        "benchmark's process (the list and the confirmation: median of five); a real "
        "`flask console worker` (one thread) runs the job, a batch per transaction.",
        "",
        "| database | accounts | list page | confirmation (COUNT) | confirmed POST | job | "
        "accounts/s | job page while running | worker peak RSS | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = (
            r["state"] == "done"
            and r["inactive_after"] == r["users"]
            and r["audit_events"] == r["audit_subjects"] == r["users"]
        )
        verdict = "one per account" if ok else "NOT as expected"
        lines.append(
            f"| {r['backend']} | {r['users']:,} | {r['list_ms']} ms | {r['confirm_ms']} ms | "
            f"{r['start_ms']} ms | {r['job_s']} s | {r['per_second']:,} | "
            f"{r['progress_page_ms']} ms | {r['worker_peak_rss_kb'] / 1024:.0f} MiB | "
            f"{r['state']}, {r['inactive_after']:,} inactive, {r['audit_events']:,} audit events "
            f"for {r['audit_subjects']:,} accounts: {verdict} |"
        )
    lines += [
        "",
        "The requests stay well inside any request timeout: the list reads one page, the "
        "confirmation counts once, the POST counts again, stores and queues the job. The "
        "job's rate is the deactivation flow's own work per account (the UPDATE, the lookup and "
        "end of its live sessions, its hash-chained audit event); the job adds one UPDATE "
        "of its progress per batch.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="reuse a seeded database")
    args = parser.parse_args(argv)
    result = run(args.backend, args.users, args.reuse)
    path = JOBS_OUT / f"bulk-deactivate-{args.backend}-{args.users}.json"
    path.write_text(json.dumps(result, indent=1))
    print(markdown([result]))


if __name__ == "__main__":
    main()
