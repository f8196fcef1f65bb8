"""Language and timezone selection: the user's choice, else the browser's, else the default."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_login import current_user

from ..extensions import babel


def select_locale() -> str | None:
    """The signed-in user's saved language, else the best Accept-Language match."""
    languages = current_app.config["CONSOLE_LANGUAGES"]
    saved = getattr(current_user, "locale", None) if current_user else None
    if saved in languages:
        return saved
    if not has_request_context():
        return languages[0]
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str | None:
    """The signed-in user's saved timezone, else the console's default."""
    saved = getattr(current_user, "timezone", None) if current_user else None
    return saved or current_app.config["CONSOLE_DEFAULT_TIMEZONE"]


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the console's catalogues and selectors."""
    from .. import resource_dir

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(resource_dir("translations")))
    app.config.setdefault("BABEL_DOMAIN", "messages")
    if "babel" not in app.extensions:
        babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
