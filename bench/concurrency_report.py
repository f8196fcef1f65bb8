"""RESULTS.md's tables for bench/concurrency.py: throughput and latency under 8 and 32
signed-in clients, and the bystanders of a lockout burst, with the targets checked."""

from __future__ import annotations

import os
from typing import Any

SCENARIOS = ("authenticated JSON", "users list", "search", "sign-in POST")
CLIENTS = (8, 32)
BURST = ("bystanders alone", "bystanders during burst")

INTRO = """## Many clients at once

`python -m bench.concurrency` (bench/concurrency.py) serves the same seeded database with
gunicorn exactly as `gunicorn.conf.py` ships it (threaded workers, {workers} of them, a
database pool of {pool} connections per worker), rate limits off. Each row runs
for {seconds:g} s with that many client threads, each its own signed-in session, making one
kind of request back to back: the authenticated JSON endpoint (`/api/me`), the users list,
a prefix search (both as the operator) and a whole sign-in POST of a member. Then 8
members sign in while 16 attacker threads send 1,000 wrong passwords at one account.
Both sizes are served side by side and each row is measured for both, back to back (all but
the burst rows in two half windows in mirrored order: 10k, 1M, 1M, 10k), so that the ratios
compare the same minutes of a shared machine. *Pool full* counts requests that
found every connection of their worker's pool, overflow included, in use and had to wait
for one. A client here sends its next request as soon as the last one is answered, so 32
clients are far more load than 32 people.

"""


def _cell(result: dict[str, Any] | None) -> str:
    if not result:
        return "-"
    return f"{result['per_second']} · {result['p50_ms']} / {result['p95_ms']}"


def _rows(found: dict, backend: str, sizes: list[int]) -> list[tuple[str, str, str]]:
    """(label, clients, key) for every measured row, in reading order."""
    rows = [("authenticated JSON, in sequence", "1", "sequential JSON")]
    for clients in CLIENTS:
        rows += [(name, str(clients), f"{name} x{clients}") for name in SCENARIOS]
    rows += [(f"sign-in POST, {key}", "8", key) for key in BURST]
    return [row for row in rows if any(row[2] in found[(backend, n)] for n in sizes)]


def table(found: dict, backend: str) -> str:
    sizes = sorted(n for b, n in found if b == backend)
    head = "| requests | clients | " + " | ".join(f"req/s · p50 / p95 ms at {n:,}" for n in sizes)
    head += " | errors | pool full |\n" + "|---" * (len(sizes) + 4) + "|\n"
    lines = []
    for label, clients, key in _rows(found, backend, sizes):
        results = [found[(backend, n)].get(key) for n in sizes]
        errors = sum(r["errors"] for r in results if r)
        full = " / ".join(f"{r['found_pool_full']} of {r['requests']}" for r in results if r)
        cells = " | ".join(_cell(r) for r in results)
        lines.append(f"| {label} | {clients} | {cells} | {errors} | {full} |")
    return head + "\n".join(lines) + "\n"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def targets(found: dict, backend: str) -> str:
    sizes = sorted(n for b, n in found if b == backend)
    small, large = found[(backend, sizes[0])], found[(backend, sizes[-1])]
    lines = []
    if len(sizes) > 1:
        parts, ok = [], True
        for name in SCENARIOS:
            key = f"{name} x{max(CLIENTS)}"
            if key in small and key in large:
                before, after = small[key]["per_second"], large[key]["per_second"]
                ok = ok and before <= 1.25 * after
                parts.append(f"{name} {before} -> {after} req/s ({before / after:.2f}x)")
        lines.append(
            f"- Throughput with {max(CLIENTS)} clients at {sizes[-1]:,} within 1.25x of "
            f"{sizes[0]:,}: " + "; ".join(parts) + f": {verdict(ok)}"
        )
    errors = sum(
        result["errors"]
        for n in sizes
        for result in found[(backend, n)].values()
        if isinstance(result, dict) and "errors" in result
    )
    lines.append(f"- No errors: {errors} responses 5xx or failed: {verdict(errors == 0)}")
    for n in sizes:
        run = found[(backend, n)]
        sequential = run["sequential JSON"]["p50_ms"]
        busy = run[f"authenticated JSON x{max(CLIENTS)}"]["p95_ms"]
        lines.append(
            f"- At {n:,}: authenticated JSON p95 with {max(CLIENTS)} clients within 4x of its "
            f"sequential p50: {busy} ms vs {sequential} ms ({busy / sequential:.1f}x): "
            f"{verdict(busy <= 4 * sequential)}"
            + ("" if busy <= 4 * sequential else _why_queueing(run, sequential))
        )
        alone, during = (run[key]["p95_ms"] for key in BURST)
        lines.append(
            f"- At {n:,}: bystanders' sign-in p95 during the burst within 3x of without: "
            f"{during} ms vs {alone} ms ({during / alone:.2f}x): {verdict(during <= 3 * alone)}"
        )
        full = sum(
            run[f"{name} x{max(CLIENTS)}"]["found_pool_full"]
            for name in SCENARIOS
            if f"{name} x{max(CLIENTS)}" in run
        )
        lines.append(
            f"- At {n:,}: no request with {max(CLIENTS)} clients waits for a pool connection: "
            f"{full} did: {verdict(full == 0)}"
        )
    return "Targets:\n\n" + "\n".join(lines) + "\n"


def _why_queueing(run: dict[str, Any], sequential: float) -> str:
    """Why a closed loop of clients cannot meet the p95 target on this machine's cores."""
    clients = max(CLIENTS)
    served = run[f"authenticated JSON x{clients}"]["per_second"]
    # Little's law: clients that send again as soon as they are answered keep `clients`
    # requests in the server, so the mean time in it is clients / throughput.
    mean = clients / served * 1000
    needed = clients / (4 * sequential / 1000)
    return (
        f" (with {clients} clients always waiting on an answer, the mean time in the server is "
        f"{clients} / {served} req/s = {mean:.0f} ms whatever the code does; the target needs "
        f"about {needed:,.0f} req/s, {needed / served:.1f}x what this machine's "
        f"{os.cpu_count()} cores served)"
    )


def section(found: dict[tuple[str, int], dict[str, Any]]) -> str:
    if not found:
        return ""
    sample = next(iter(found.values()))
    pool = sample.get("pool", {})
    text = INTRO.format(
        workers=sample["workers"],
        seconds=sample.get("seconds", 20),
        pool=" + ".join(str(v) for v in pool.values()) if pool else "default",
    )
    for backend in ("sqlite", "postgresql"):
        if any(b == backend for b, _ in found):
            text += f"### {backend}\n\n" + table(found, backend) + "\n"
            text += targets(found, backend) + "\n"
    return text
