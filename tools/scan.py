"""`make scan`: serve the console with demo data on localhost and attack it with sqlmap and wapiti.

Reports land in scan-reports/ (git-ignored); the summary is printed and written to
scan-reports/summary.txt. The exit status is 1 when a scanner reports an injectable
parameter or an XSS, CSRF or open-redirect finding.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "scan-reports"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SQLMAP_SECONDS = int(os.environ.get("SCAN_SQLMAP_SECONDS", "330"))
WAPITI_SECONDS = int(os.environ.get("SCAN_WAPITI_SECONDS", "420"))
SQLMAP_PARALLEL = int(os.environ.get("SCAN_SQLMAP_PARALLEL", "3"))

# The admin lists with their search, filter, sort and paging parameters (sample values).
SQLMAP_TARGETS = {
    "users_filters": ("/admin/users/", {"q": "ada", "role": "1", "active": "yes",
                                        "mfa": "no", "locked": "no"}),
    "users_order": ("/admin/users/", {"sort": "email", "dir": "asc", "size": "20",
                                      "login_after": "2020-01-01", "created_to": "2030-01-01",
                                      "after": "1"}),
    "roles": ("/admin/roles/", {"after": "1"}),
    "role_members": ("/admin/roles/details/", {"id": "1", "after": "1"}),
    "audit": ("/admin/audit/", {"actor": "ada", "subject": "1", "action": "user.login",
                                "ip": "127.0.0.1", "since": "2020-01-01", "until": "2030-01-01",
                                "before": "100000", "size": "20"}),
    "sessions": ("/admin/sessions/", {"email": "ada", "ip": "127.0.0.1", "age": "",
                                      "method": "", "before": ""}),
    "mfa": ("/admin/mfa/", {"q": "ada", "method": "totp", "before": "100000"}),
}  # fmt: skip

# Debian's wapiti 3.0.4 builds its -x patterns as "...\\Z(?ms)", which Python 3.11 rejects
# (global flags must come first), and instantiates every attack module, whatever -m says:
# the wapp module then downloads its database from the internet. The shim corrects the one
# function and loads only the modules asked for.
WAPITI_SHIM = """
import re, sys
import wapitiCore.attack.attack as attack
import wapitiCore.net.crawler as crawler
from wapitiCore.main.wapiti import wapiti_main

wanted = sys.argv[sys.argv.index("-m") + 1].split(",")
attack.modules = [name for name in attack.modules if name[4:] in wanted]

def wildcard_translate(pattern):
    return re.compile("(?ms)" + ".*".join(re.escape(part) for part in pattern.split("*")) + r"\\Z")

crawler.wildcard_translate = wildcard_translate
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
"""
WAPITI_MODULES = "xss,permanentxss,csrf,redirect,cookieflags,csp,http_headers"
# Pages a crawler must not follow: signing out would end the scan's session.
WAPITI_EXCLUDE = ("/logout", "/admin/users/action/", "/account/sessions/end-others")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(env: dict[str, str]) -> tuple[str, str]:
    """Migrate a fresh database and seed the demo data; returns the operator's sign-in."""
    code = (
        "import json, flask_migrate\n"
        "from console import create_app, resource_dir\n"
        "from console.demo import seed\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    flask_migrate.upgrade(directory=str(resource_dir('migrations')), revision='heads')\n"
        "    email, password, _ = seed(20)\n"
        "print(json.dumps([email, password]))\n"
    )
    out = subprocess.run(  # noqa: S603 (fixed command lines, no user input)
        [str(PYTHON), "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    email, password = json.loads(out.strip().splitlines()[-1])
    return email, password


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    server_env = dict(
        env,
        # Rate limits would answer the scanners with 429s instead of the pages under test.
        GUNICORN_APP='console:create_app({"RATELIMIT_ENABLED": False})',
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="4",
        GUNICORN_ACCESS_LOG="",
    )
    process = subprocess.Popen(  # noqa: S603
        [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py")],
        env=server_env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"the console did not start; see {log}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def sign_in(base: str, email: str, password: str) -> requests.Session:
    """A session signed in as the demo operator through the ordinary form."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token.group(1) if token else ""},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise SystemExit("the demo operator could not sign in")
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def _sqlmap_target(base: str, cookie: str, name: str, path: str, params: dict) -> str:
    out_dir = REPORTS / "sqlmap"
    url = f"{base}{path}?{urlencode(params)}"
    command = [
        "sqlmap", "-u", url, "--cookie", cookie, "--batch",
        "--level", "2", "--risk", "1", "--threads", "2", "--timeout", "15",
        # Boolean, error and UNION techniques: time-based probes on a two-core machine
        # shared with other work give only noise, and multiply the run time.
        "--technique", "BEU", "--output-dir", str(out_dir / name), "--flush-session",
        "--disable-coloring", "--skip-waf", "--answers", "follow=N",
    ]  # fmt: skip
    try:
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=SQLMAP_SECONDS
        )
        output = result.stdout + result.stderr
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace") + "\n[time limit reached]"
    (out_dir / f"{name}.log").write_text(output)
    if re.search(r"parameter '[^']+' is vulnerable|sqlmap identified the following", output):
        return "INJECTABLE"
    if "do not appear to be injectable" in output:
        return "not injectable"
    if "[time limit reached]" in output:
        tested = len(re.findall(r"parameter '[^']+' does not seem to be injectable", output))
        return f"time limit reached; {tested} parameters tested, none injectable"
    return "inconclusive (see log)"


def run_sqlmap(base: str, session: requests.Session) -> dict[str, str]:
    """sqlmap on every list parameter, a few targets at a time; each target's verdict."""
    (REPORTS / "sqlmap").mkdir(parents=True, exist_ok=True)
    cookie = cookie_header(session)
    with ThreadPoolExecutor(max_workers=SQLMAP_PARALLEL) as pool:
        futures = {
            name: pool.submit(_sqlmap_target, base, cookie, name, path, params)
            for name, (path, params) in SQLMAP_TARGETS.items()
        }
        return {name: future.result() for name, future in futures.items()}


def run_wapiti(base: str, session: requests.Session) -> dict[str, list]:
    """wapiti's chosen modules, signed in as the operator; returns findings by category."""
    cookies = {
        "127.0.0.1": {"/": {c.name: {"value": c.value, "version": 0, "expires": None,
                                      "secure": False, "port": None} for c in session.cookies}}
    }  # fmt: skip
    cookie_file = REPORTS / "wapiti-cookies.json"
    cookie_file.write_text(json.dumps(cookies))
    report = REPORTS / "wapiti.json"
    store = Path(tempfile.mkdtemp(prefix="wapiti-"))
    command = [
        "/usr/bin/python3", "-c", WAPITI_SHIM,
        "-u", f"{base}/", "--scope", "folder", "-m", WAPITI_MODULES,
        "-c", str(cookie_file), "-f", "json", "-o", str(report), "--flush-session",
        "--max-scan-time", str(WAPITI_SECONDS), "--max-attack-time", "120",
        "--store-session", str(store), "--store-config", str(store), "--no-bugreport",
        "-v", "1", "-d", "4", "--max-links-per-page", "40",
    ]  # fmt: skip
    for excluded in WAPITI_EXCLUDE:
        command += ["-x", f"{base}{excluded}*"]
    with (REPORTS / "wapiti.log").open("w") as log:
        subprocess.run(  # noqa: S603
            command, stdout=log, stderr=subprocess.STDOUT, timeout=WAPITI_SECONDS + 300
        )
    shutil.rmtree(store, ignore_errors=True)
    data = json.loads(report.read_text()) if report.exists() else {}
    return {
        category: findings
        for category, findings in (data.get("vulnerabilities") or {}).items()
        if findings
    } | {
        f"anomaly: {category}": findings
        for category, findings in (data.get("anomalies") or {}).items()
        if findings
    }


BLOCKING = re.compile(r"Cross Site Scripting|Cross Site Request Forgery|Open Redirect|SQL", re.I)


def main() -> int:
    for tool in ("sqlmap", "wapiti"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install sqlmap wapiti")
    if REPORTS.exists():
        shutil.rmtree(REPORTS)
    REPORTS.mkdir()
    workdir = Path(tempfile.mkdtemp(prefix="console-scan-"))
    env = dict(
        os.environ,
        DATABASE_URL=os.environ.get("SCAN_DATABASE_URL") or f"sqlite:///{workdir / 'scan.db'}",
        CONSOLE_INSTANCE_PATH=str(workdir),
        FLASK_APP="wsgi.py",
    )
    env.pop("REDIS_URL", None)
    email, password = prepare_database(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, REPORTS / "server.log")
    try:
        started = time.monotonic()
        # sqlmap first: wapiti's attacks submit forms (wrong passwords lock the operator).
        sqlmap = run_sqlmap(base, sign_in(base, email, password))
        wapiti = run_wapiti(base, sign_in(base, email, password))
        elapsed = time.monotonic() - started
    finally:
        stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)

    lines = [f"Security scan of {base} ({elapsed:.0f} s); reports in {REPORTS}", "", "sqlmap:"]
    lines += [f"  {name:14} {verdict}" for name, verdict in sqlmap.items()]
    lines += ["", f"wapiti ({WAPITI_MODULES}):"]
    if not wapiti:
        lines.append("  no findings")
    for category, findings in sorted(wapiti.items()):
        lines.append(f"  {category}: {len(findings)}")
        for finding in findings[:5]:
            lines.append(f"    - {finding.get('path')} {finding.get('parameter') or ''}: "
                         f"{(finding.get('info') or '').splitlines()[0][:140]}")  # fmt: skip
    server_errors = (REPORTS / "server.log").read_text().count("unhandled error on")
    lines += ["", f"server: {server_errors} unhandled errors logged"]
    blocking = [v for v in sqlmap.values() if v == "INJECTABLE"] + [
        c for c in wapiti if BLOCKING.search(c) and not c.startswith("anomaly")
    ]
    lines.append("RESULT: " + ("FINDINGS TO FIX" if blocking else "no blocking finding"))
    summary = "\n".join(lines)
    (REPORTS / "summary.txt").write_text(summary + "\n")
    print(summary)
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
