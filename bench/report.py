"""Turn bench/out/*.json into the tables of bench/RESULTS.md, with the targets checked."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
SIZES = (10_000, 100_000, 1_000_000)


def load() -> dict[tuple[str, int], dict[str, Any]]:
    found = {}
    for path in OUT.glob("*.json"):
        data = json.loads(path.read_text())
        found[(data["backend"], data["users"])] = data
    return found


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("flask", "flask-security-too", "flask-admin", "sqlalchemy", "gunicorn")
    )
    return (
        f"- Machine: {cpu}, {int(mem) // 1024 // 1024} GiB, Linux {platform.release()}\n"
        f"- Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}, "
        f"{pg}\n- {versions}\n"
    )


def flat(a: float, b: float) -> str:
    return f"{b / a:.2f}x" if a else "-"


def table(results: dict, backend: str) -> str:
    sizes = [n for n in SIZES if (backend, n) in results]
    if not sizes:
        return f"No results for {backend}.\n"
    base = results[(backend, sizes[0])]
    names = list(base["pages"])
    head = "| page | " + " | ".join(f"p50 / p95 ms at {n:,}" for n in sizes)
    head += " | SQL per request | 1M/10k p50 | HTML bytes |\n"
    head += "|---" * (len(sizes) + 4) + "|\n"
    rows = []
    for name in names:
        cells = []
        sqls = []
        for n in sizes:
            page = results[(backend, n)]["pages"].get(name, {})
            cells.append(f"{page.get('p50_ms', '-')} / {page.get('p95_ms', '-')}")
            sqls.append(str(page.get("sql", "-")))
        first = base["pages"][name]["p50_ms"]
        last = results[(backend, sizes[-1])]["pages"].get(name, {}).get("p50_ms", 0)
        sql = sqls[0] if len(set(sqls)) == 1 else " / ".join(sqls)
        size = results[(backend, sizes[-1])]["pages"].get(name, {}).get("bytes", "-")
        rows.append(
            f"| {name} | " + " | ".join(cells) + f" | {sql} | {flat(first, last)} | {size} |"
        )
    extra = []
    for n in sizes:
        r = results[(backend, n)]
        extra.append(
            f"- {n:,} users: sign-in POST p50 {r['signin_post_p50_ms']} ms (argon2 verify "
            f"{r['argon2_verify_ms']} ms), worker peak RSS {r['peak_rss_kb'] / 1024:.0f} MiB"
        )
    return head + "\n".join(rows) + "\n\n" + "\n".join(extra) + "\n"


def main() -> None:
    results = load()
    sys.stdout.write("## Machine and versions\n\n" + machine() + "\n")
    for backend in ("sqlite", "postgresql"):
        sys.stdout.write(f"## {backend}\n\n" + table(results, backend) + "\n")


if __name__ == "__main__":
    main()
