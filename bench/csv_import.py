"""Import users from CSV files of 1,000 and 100,000 rows, each in a fresh process.

    python -m bench.csv_import [--sizes 1000,100000]

For each size the benchmark writes a CSV file (email, name, username, roles, language,
time zone; every tenth row grants a role), makes an empty SQLite database with the app's
migrations and a full administrator, then runs a child process that stores the upload,
runs the dry run and applies it through the job runner (console.jobs.runner.run, the
path a worker takes), acting as that administrator. The child prints rows per second of
each stage and its peak RSS (resource.getrusage ru_maxrss); the benchmark prints them and
the ratio of the peak RSS at 100,000 rows to that at 1,000 (the import streams the file
and works a batch at a time, so it should stay within 1.5x). Files and databases go to
bench/out/imports/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.run import OUT, ROOT

IMPORTS_OUT = OUT / "imports"
OPERATOR_EMAIL = "operator@bench.example"
ROLE = "Importer"
LANGUAGES = ("en", "de", "fr", "es", "ja")
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo")
SECRET_KEY = "bench-secret-" + "k" * 40  # noqa: S105 - a local benchmark database


def write_csv(path: Path, rows: int) -> None:
    """A file of `rows` accounts, written a row at a time."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "username", "roles", "language", "time zone"])
        for i in range(rows):
            writer.writerow(
                [
                    f"person{i}@import.example",
                    f"Person {i}",
                    f"person{i}",
                    ROLE if i % 10 == 0 else "",
                    LANGUAGES[i % len(LANGUAGES)],
                    ZONES[i % len(ZONES)],
                ]
            )


def config(url: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET_KEY,
        "TESTING": True,
        "RATELIMIT_ENABLED": False,
    }


def make_database(url: str) -> None:
    """An empty database at the newest migration, with the operator and the role."""
    from flask_migrate import upgrade

    from console import create_app
    from console.accounts import create_operator, ensure_role
    from console.extensions import db

    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app(config(url))
    with app.app_context():
        upgrade()
        create_operator(OPERATOR_EMAIL, "bench operator password")
        ensure_role(ROLE, ["users:read"])
        db.session.commit()
        db.engine.dispose()


def child(path: Path, url: str) -> dict[str, Any]:
    """Upload, dry run and apply `path` in this process; the figures as a dict."""
    from console import create_app
    from console.accounts import find_user_by_email
    from console.extensions import db
    from console.imports import flows
    from console.imports import upload as uploads
    from console.jobs import runner

    app = create_app(config(url))
    with app.app_context():
        actor = find_user_by_email(OPERATOR_EMAIL)
        figures: dict[str, Any] = {}
        started = time.perf_counter()
        with path.open("rb") as stream:
            upload = uploads.store(stream, filename=path.name, actor=actor)
        figures["upload_s"] = time.perf_counter() - started
        started = time.perf_counter()
        flows.dry_run(actor, upload)
        figures["dry_run_s"] = time.perf_counter() - started
        figures["preview"] = flows.counts(upload)
        rows = upload.rows
        started = time.perf_counter()
        job = flows.apply(actor, upload, origin="cli", enqueue=False)
        ended = runner.run(job.id)
        figures["apply_s"] = time.perf_counter() - started
        assert ended is not None and ended.state == "done", ended and ended.error
        figures["outcomes"] = dict(ended.outcomes or {})
        figures["rows"] = rows
        db.engine.dispose()
    figures["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return figures


def run(rows: int) -> dict[str, Any]:
    IMPORTS_OUT.mkdir(parents=True, exist_ok=True)
    path = IMPORTS_OUT / f"users-{rows}.csv"
    write_csv(path, rows)
    url = f"sqlite:///{IMPORTS_OUT / f'import-{rows}.db'}"
    make_database(url)
    output = subprocess.run(
        [sys.executable, "-m", "bench.csv_import", "--child", str(path), url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def show(figures: dict[str, Any]) -> str:
    rows = figures["rows"]
    rate = {
        stage: round(rows / figures[f"{stage}_s"]) if figures[f"{stage}_s"] else 0
        for stage in ("upload", "dry_run", "apply")
    }
    return (
        f"{rows:>7} rows: upload {rate['upload']:>6} rows/s, dry run {rate['dry_run']:>6} "
        f"rows/s, apply {rate['apply']:>6} rows/s ({figures['apply_s']:.1f} s); peak RSS "
        f"{figures['peak_rss_kb'] / 1024:.1f} MB; outcomes {figures['outcomes']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "DATABASE_URL"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), args.child[1])))
        return
    results = {}
    for size in (int(text) for text in args.sizes.split(",")):
        results[size] = run(size)
        print(show(results[size]), flush=True)
    small, large = min(results), max(results)
    if small != large:
        ratio = results[large]["peak_rss_kb"] / results[small]["peak_rss_kb"]
        verdict = "within" if ratio <= 1.5 else "above"
        print(f"peak RSS {large}/{small} rows: {ratio:.2f}x ({verdict} the 1.5x target)")
    (IMPORTS_OUT / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
