"""Deployment fixtures: gunicorn servers, a PostgreSQL server of the test's own, Redis."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.browser import free_port

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_URL = os.environ.get("CONSOLE_TEST_REDIS", "redis://127.0.0.1:6379/0")
# Password hashes are peppered with a key derived from the secret: one secret for all.
SECRET_KEY = "deployment-test-secret-" + "k" * 32

# The site every server runs: the standalone console, configured by the test.
SITE = """
import json, os
from console import create_app

app = create_app(json.loads(os.environ["CONSOLE_TEST_CONFIG"]))
"""


class Server:
    """One gunicorn master (with its workers) serving the console on 127.0.0.1:port."""

    def __init__(self, site_dir: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._env = {
            **env,
            "GUNICORN_APP": "site_app:app",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "PYTHONPATH": os.pathsep.join([str(site_dir), str(REPO)]),
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                [str(GUNICORN), "-c", str(REPO / "gunicorn.conf.py")],
                cwd=self.log.parent,
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log.read_text()}")
            try:
                # The first answer waits for the worker to import the application.
                if requests.get(f"{self.url}/healthz", timeout=20).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """serve(database_url, **config) starts a gunicorn server; all stop after the test."""
    (tmp_path / "site_app.py").write_text(SITE)
    started: list[Server] = []

    def start(database_url: str, **config: Any) -> Server:
        settings = {
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            **config,
        }
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CONSOLE_", "GUNICORN_", "FLASK_"))
            and key not in ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "PYTHONPATH")
        }
        env.update(
            CONSOLE_TEST_CONFIG=json.dumps(settings),
            WEB_CONCURRENCY="1",
            GUNICORN_ACCESS_LOG="-",
        )
        server = Server(tmp_path, env, tmp_path / f"gunicorn-{len(started)}.log")
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def shared_postgres() -> Iterator[str]:
    """A migrated database of the test's own on the shared PostgreSQL server."""
    from tests.support import db as dbsupport

    url = dbsupport.create_postgres_database()
    dbsupport.migrate(url)
    yield url
    dbsupport.drop_postgres_database(url)


def add_account(database_url: str, email: str, password: str, permissions: list[str]) -> None:
    """Create a confirmed account holding `permissions` directly in `database_url`."""
    from console import create_app
    from console.accounts import create_account, ensure_role
    from console.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY, "TESTING": True}
    )
    with app.app_context():
        roles = [ensure_role(f"Deployment {uuid.uuid4().hex[:6]}", permissions)]
        create_account(email, password, roles=roles)
        db.session.commit()
        db.engine.dispose()


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory, on a port of its own."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not binaries:
            pytest.skip("PostgreSQL server binaries are not installed")
        self.bin = Path(binaries[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="console-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: run the server as the postgres account then.
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self.dir.chmod(0o755)

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=60, cwd=self.dir
        )
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"

    def init(self) -> ThrowawayPostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A running, migrated PostgreSQL that the test may stop and start again."""
    from tests.support import db as dbsupport

    server = ThrowawayPostgres().init()
    try:
        server.start()
        dbsupport.migrate(server.url)
        yield server
    finally:
        server.remove()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of the test's own on the shared Redis; its keys are deleted after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis unreachable: {error}")
    prefix = f"console-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()
