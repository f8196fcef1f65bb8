"""The console as gunicorn serves it in the benchmark, plus an X-SQL-Count header."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Response, g

from console import create_app
from console.extensions import db

# The dashboard's snapshot is computed before the run (as cron would), never mid-run.
app = create_app({"RATELIMIT_ENABLED": False, "CONSOLE_DASHBOARD_REFRESH": timedelta(days=1)})


def _count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    try:
        g.sql_count = g.get("sql_count", 0) + 1
    except RuntimeError:  # outside a request (start-up, pool pre-ping)
        return


with app.app_context():
    sa.event.listen(db.engine, "before_cursor_execute", _count)


@app.after_request
def _sql_count_header(response: Response) -> Response:
    response.headers["X-SQL-Count"] = str(g.get("sql_count", 0))
    return response
