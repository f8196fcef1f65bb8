"""The console as bench/concurrency.py serves it: how long each request took to get a
connection from its worker's pool (X-Pool-Wait-Ms: CPU contention included), and whether it
found every connection of the pool, overflow included, in use (X-Pool-Full: it had to wait
for another request to give one back)."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from typing import Any

from flask import Response, g

from console import create_app
from console.extensions import db

app = create_app({"RATELIMIT_ENABLED": False, "CONSOLE_DASHBOARD_REFRESH": timedelta(days=1)})

with app.app_context():
    pool = db.engine.pool
    checkout = pool.connect

    def timed_checkout() -> Any:
        limit = pool.size() + getattr(pool, "_max_overflow", 0)
        if pool.checkedout() >= limit:
            with contextlib.suppress(RuntimeError):
                g.pool_full = True
        started = time.perf_counter()
        try:
            return checkout()
        finally:
            waited = (time.perf_counter() - started) * 1000
            with contextlib.suppress(RuntimeError):  # outside a request (start-up)
                g.pool_wait_ms = g.get("pool_wait_ms", 0.0) + waited

    pool.connect = timed_checkout  # type: ignore[method-assign]


@app.after_request
def _pool_wait_header(response: Response) -> Response:
    response.headers["X-Pool-Wait-Ms"] = f"{g.get('pool_wait_ms', 0.0):.2f}"
    response.headers["X-Pool-Full"] = "1" if g.get("pool_full") else "0"
    return response
