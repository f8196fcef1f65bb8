"""Production settings: database pool options and the gunicorn configuration."""

from __future__ import annotations

import runpy
from pathlib import Path

from console import _engine_options
from console.config import from_environment
from console.settings import DEFAULTS

REPO = Path(__file__).resolve().parents[2]


def test_postgresql_connections_are_checked_bounded_and_time_limited():
    config = {**DEFAULTS, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/console"}
    config.update(CONSOLE_DB_POOL_SIZE=3, CONSOLE_DB_MAX_OVERFLOW=2, CONSOLE_DB_POOL_TIMEOUT=4)
    options = _engine_options(config)
    assert options["pool_pre_ping"] is True
    assert (options["pool_size"], options["max_overflow"], options["pool_timeout"]) == (3, 2, 4)
    # A database that does not answer fails the connection within the pool timeout.
    assert options["connect_args"]["connect_timeout"] == 4
    assert options["connect_args"]["options"] == "-c statement_timeout=5000"


def test_sqlite_only_gets_the_pre_ping():
    assert _engine_options({**DEFAULTS, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}) == {
        "pool_pre_ping": True
    }


def test_pool_settings_and_application_root_come_from_the_environment():
    config = from_environment(
        {
            "CONSOLE_DB_POOL_SIZE": "8",
            "CONSOLE_DB_STATEMENT_TIMEOUT_MS": "2000",
            "APPLICATION_ROOT": "/console",
        }
    )
    assert config["CONSOLE_DB_POOL_SIZE"] == 8
    assert config["CONSOLE_DB_STATEMENT_TIMEOUT_MS"] == 2000
    assert config["APPLICATION_ROOT"] == "/console"


def test_gunicorn_reads_workers_bind_and_timeouts_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9000,unix:/run/console.sock")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    settings = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert settings["workers"] == 3
    assert (settings["threads"], settings["worker_class"]) == (4, "gthread")
    assert settings["bind"] == ["127.0.0.1:9000", "unix:/run/console.sock"]
    assert settings["timeout"] == 45
    assert settings["preload_app"] is False
    assert settings["accesslog"] == "-"
    assert settings["wsgi_app"] == "wsgi:app"


def test_gunicorn_binds_every_interface_on_port_by_default(monkeypatch):
    for key in ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PORT", "8123")
    settings = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert settings["bind"] == ["0.0.0.0:8123"]
    # Threads by default: a refused sign-in's padding holds one thread, not a worker.
    assert (settings["worker_class"], settings["threads"]) == ("gthread", 8)
    assert settings["workers"] >= 3


def test_each_thread_has_a_pooled_connection(monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "6")
    monkeypatch.delenv("CONSOLE_DB_POOL_SIZE", raising=False)
    settings = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert settings["raw_env"] == ["CONSOLE_DB_POOL_SIZE=6"]
    # A pool size set by the operator is kept.
    monkeypatch.setenv("CONSOLE_DB_POOL_SIZE", "12")
    assert runpy.run_path(str(REPO / "gunicorn.conf.py"))["raw_env"] == []
