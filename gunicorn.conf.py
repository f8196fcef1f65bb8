"""Gunicorn settings for the console: `gunicorn -c gunicorn.conf.py` (every value from the env)."""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# What to serve: the standalone console, or a host that embeds or mounts it.
wsgi_app = os.environ.get("GUNICORN_APP", "wsgi:app")
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{_int('PORT', 8000)}").split(",")

workers = _int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
# Threaded workers, with many threads: most of a thread's life under attack is waiting, not
# computing. Sign-in attempts at one identity go through its check one at a time per worker
# (console/lockout/checks.py), and a locked account's refusal sleeps as long as a hash so a
# lock is not told apart by its timing; a burst of hundreds of attempts then waits in line
# at no CPU cost and paces itself at one check per worker at a time, while the other threads
# serve everyone else. With few threads the waiting attempts would take them all and every
# other request would queue behind the burst. A waiting thread holds no database connection.
# Not gevent: an argon2 hash is a C call that would stop all of a worker's greenlets for its
# whole length, and psycopg's C wait loop and argon2's own threads would each need patching.
threads = _int("GUNICORN_THREADS", 256)
worker_class = "gthread" if threads > 1 else "sync"

# Each worker is a process with its own database pool, CONSOLE_DB_POOL_SIZE connections
# (default 10) plus CONSOLE_DB_MAX_OVERFLOW (default 30) under load, shared by its threads: only
# threads that run a query hold one (a waiting sign-in attempt gives its connection back),
# and a worker runs few queries at once. Size PostgreSQL's max_connections for
# hosts x workers x (pool + overflow).

# A request that takes longer than this is killed; the database statement timeout
# (CONSOLE_DB_STATEMENT_TIMEOUT_MS) and pool timeout stop well before it.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then so a slow leak never takes a host down; the jitter keeps
# them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Off: every worker imports the app after the fork, so no database connection or Redis
# socket is shared between processes, and a code reload needs only a HUP.
preload_app = False

# Logs go to stdout/stderr for the process manager; the access log includes the time taken.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# The application trusts X-Forwarded-* from CONSOLE_PROXY_FIX proxies (werkzeug ProxyFix);
# gunicorn itself takes X-Forwarded-Proto only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
