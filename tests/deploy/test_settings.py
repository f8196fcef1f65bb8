"""Production settings: database pool options and the gunicorn configuration."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

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


def test_sqlite_gets_the_pre_ping_the_pool_and_a_longer_wait_for_the_writer():
    assert _engine_options({**DEFAULTS, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}) == {
        "pool_pre_ping": True,
        "connect_args": {"timeout": 20.0},
        "pool_size": 10,
        "max_overflow": 30,
    }
    in_memory = _engine_options({**DEFAULTS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "pool_size" not in in_memory
    config = {**DEFAULTS, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}
    config["CONSOLE_DB_SQLITE_BUSY_TIMEOUT"] = 3
    assert _engine_options(config)["connect_args"] == {"timeout": 3.0}


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
    # Many threads by default: a burst's attempts wait in line in threads of their own.
    assert (settings["worker_class"], settings["threads"]) == ("gthread", 256)
    assert settings["workers"] >= 3


def test_the_database_pool_is_not_sized_by_the_thread_count(monkeypatch):
    # Threads that wait hold no connection: the pool keeps the console's own bounded size
    # (CONSOLE_DB_POOL_SIZE) whatever GUNICORN_THREADS says.
    monkeypatch.setenv("GUNICORN_THREADS", "64")
    monkeypatch.delenv("CONSOLE_DB_POOL_SIZE", raising=False)
    settings = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert "raw_env" not in settings
    assert "CONSOLE_DB_POOL_SIZE" not in os.environ


def _wsgi_app():
    """wsgi.py's app, built afresh from the current environment."""
    return runpy.run_path(str(REPO / "wsgi.py"))["app"]


def test_console_and_security_settings_come_from_the_environment(monkeypatch, tmp_path):
    from datetime import timedelta

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.setenv("CONSOLE_LOCKOUT_THRESHOLD", "9")
    monkeypatch.setenv("CONSOLE_SESSION_IDLE_TIMEOUT", "PT30M")
    monkeypatch.setenv("CONSOLE_TRUSTED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("SECURITY_REGISTERABLE", "true")
    monkeypatch.setenv("SECURITY_FRESHNESS", "600")
    monkeypatch.setenv("SECURITY_US_ENABLED_METHODS", '["password", "email"]')
    app = _wsgi_app()
    assert app.config["CONSOLE_LOCKOUT_THRESHOLD"] == 9
    assert app.config["CONSOLE_SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert app.config["CONSOLE_TRUSTED_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert app.config["SECURITY_REGISTERABLE"] is True
    assert app.config["SECURITY_FRESHNESS"] == timedelta(minutes=10)
    assert app.config["SECURITY_US_ENABLED_METHODS"] == ["password", "email"]
    assert "security.register" in app.view_functions


def test_registration_is_off_unless_turned_on(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.delenv("SECURITY_REGISTERABLE", raising=False)
    app = _wsgi_app()
    assert app.config["SECURITY_REGISTERABLE"] is False
    assert "security.register" not in app.view_functions


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONSOLE_LOCKOUT_THRESHOLD", "many"),
        ("SECURITY_REGISTERABLE", "perhaps"),
        ("CONSOLE_SESSION_IDLE_TIMEOUT", "half an hour"),
        ("SECURITY_TOTP_SECRETS", "[1, 2]"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch, tmp_path, name, value):
    from console.config import ConfigError

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        _wsgi_app()


def test_values_convert_by_the_type_of_their_default():
    from datetime import timedelta

    from console.config import convert

    assert convert("P1DT2H", timedelta()) == timedelta(days=1, hours=2)
    assert convert("90", timedelta()) == timedelta(seconds=90)
    assert convert("off", True) is False
    assert convert("a,b", ("x",)) == ("a", "b")
    assert convert('{"1": "k"}', {}) == {"1": "k"}
    assert convert("2.5", 0.1) == 2.5


def test_a_config_file_is_read_and_the_environment_wins(monkeypatch, tmp_path):
    path = tmp_path / "console.toml"
    path.write_text(
        'CONSOLE_LOCKOUT_THRESHOLD = 7\nCONSOLE_SITE_NAME = "Accounts"\n'
        'SECURITY_FRESHNESS = "PT5M"\n'
    )
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.setenv("CONSOLE_CONFIG_FILE", str(path))
    monkeypatch.setenv("CONSOLE_SITE_NAME", "Staff accounts")
    app = _wsgi_app()
    assert app.config["CONSOLE_LOCKOUT_THRESHOLD"] == 7
    assert app.config["CONSOLE_SITE_NAME"] == "Staff accounts"
    assert app.config["SECURITY_FRESHNESS"].total_seconds() == 300
