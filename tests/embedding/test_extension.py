"""What init_app does to a host application, and what it leaves alone."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy

from console import SecurityConsole
from console.config import ConfigError

from .conftest import PREFIX


def _host(tmp_path, app_config: dict[str, Any], **config: Any) -> Flask:
    (tmp_path / "static").mkdir(exist_ok=True)
    (tmp_path / "static" / "host.css").write_text("body { margin: 0 }\n")
    (tmp_path / "templates" / "console").mkdir(parents=True, exist_ok=True)
    (tmp_path / "templates" / "console" / "error.html").write_text(
        "host's own error page {{ code }}"
    )
    host = Flask("host_with_files", root_path=str(tmp_path))
    host.config.update(app_config, **config)
    return host


def _dispose(host: Flask) -> None:
    from console.extensions import db

    with host.app_context():
        db.engine.dispose()


def test_the_hosts_static_folder_and_templates_come_first(tmp_path, app_config):
    host = _host(tmp_path, app_config)
    SecurityConsole().init_app(host, url_prefix=PREFIX)
    client = host.test_client()
    host_css = client.get("/static/host.css")
    assert host_css.status_code == 200
    host_css.close()
    console_js = client.get(f"{PREFIX}/static/console/console.js")
    assert console_js.status_code == 200
    console_js.close()
    # The host's loader is asked first, so a host may override any console template.
    page = client.get(f"{PREFIX}/no-such-page", headers={"Accept": "text/html"})
    assert page.get_data(as_text=True) == "host's own error page 404"
    _dispose(host)


def test_a_host_without_a_secret_key_gets_one(tmp_path, app_config):
    config = {key: value for key, value in app_config.items() if key != "SECRET_KEY"}
    host = Flask("keyless_host", root_path=str(tmp_path))
    host.config.update(config)
    assert host.config["SECRET_KEY"] is None
    SecurityConsole().init_app(host, url_prefix=PREFIX)
    assert host.config["SECRET_KEY"]
    assert host.test_client().get(f"{PREFIX}/login").status_code == 200
    _dispose(host)


def test_a_host_with_its_own_sqlalchemy_object_and_no_models_is_told_what_to_pass(
    tmp_path, app_config
):
    host = _host(tmp_path, app_config)
    SQLAlchemy().init_app(host)
    with pytest.raises(ConfigError, match=r"db=db, user_model=User.*console\.extensions\.db"):
        SecurityConsole().init_app(host, url_prefix=PREFIX)


def test_a_host_sharing_the_consoles_db_object_works(tmp_path, app_config):
    from console.extensions import db

    host = _host(tmp_path, app_config)
    db.init_app(host)
    SecurityConsole().init_app(host, url_prefix=PREFIX)
    assert host.test_client().get(f"{PREFIX}/healthz").status_code == 200
    _dispose(host)


def test_a_host_with_babel_keeps_its_selector_and_gains_the_catalogue(tmp_path, app_config):
    from console import resource_dir

    host = _host(tmp_path, app_config)
    Babel(host, locale_selector=lambda: "de")
    SecurityConsole().init_app(host, url_prefix=PREFIX)
    babel_state = host.extensions["babel"]
    assert str(resource_dir("translations")) in babel_state.translation_directories
    page = host.test_client().get(f"{PREFIX}/login")
    assert page.status_code == 200
    assert 'lang="de"' in page.get_data(as_text=True)
    _dispose(host)


def test_the_hosts_error_handlers_still_answer_for_the_host(tmp_path, app_config):
    host = _host(tmp_path, app_config)

    @host.errorhandler(Exception)
    def host_error(error: Exception) -> Any:
        return "host handled it", 500

    @host.get("/broken")
    def broken() -> Any:
        raise RuntimeError("host bug")

    SecurityConsole().init_app(host, url_prefix=PREFIX)
    host.config["PROPAGATE_EXCEPTIONS"] = False
    response = host.test_client().get("/broken")
    assert response.status_code == 500
    assert response.get_data(as_text=True) == "host handled it"
    _dispose(host)


def test_a_path_that_only_starts_like_the_prefix_is_the_hosts(tmp_path, app_config):
    host = _host(tmp_path, app_config)

    @host.get("/consoles")
    def consoles() -> Any:
        return "host page"

    SecurityConsole().init_app(host, url_prefix=PREFIX)
    response = host.test_client().get("/consoles")
    assert response.get_data(as_text=True) == "host page"
    assert "Content-Security-Policy" not in response.headers
    _dispose(host)


def test_flask_security_views_resolve_under_the_prefix(tmp_path, app_config):
    from flask_security import url_for_security
    from flask_security.utils import get_url

    host = _host(tmp_path, app_config)
    SecurityConsole().init_app(host, url_prefix=PREFIX)
    with host.test_request_context("/"):
        assert get_url(host.config["SECURITY_POST_LOGIN_VIEW"]).startswith(f"{PREFIX}")
        assert get_url(host.config["SECURITY_POST_LOGOUT_VIEW"]) == f"{PREFIX}/login"
        assert url_for_security("logout") == f"{PREFIX}/logout"
    assert host.config["SECURITY_STATIC_FOLDER_URL"] == f"{PREFIX}/fs-static"
    _dispose(host)
