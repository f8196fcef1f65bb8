"""Language and timezone selection: the user's choice, else the browser's, else the default."""

from __future__ import annotations

import pytz
from flask import Flask, has_request_context, request, session
from flask_login import current_user

from ..extensions import babel
from ..settings import setting

# Each language named in itself, so a reader finds their own whatever the page's language.
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "ja": "日本語",
}


def select_locale() -> str | None:
    """The user's saved language, else the switcher's choice, else Accept-Language."""
    languages = setting("CONSOLE_LANGUAGES")
    if not has_request_context():
        return languages[0]
    saved = getattr(current_user, "locale", None) if current_user else None
    if saved in languages:
        return saved
    if session.get("console_locale") in languages:
        return session["console_locale"]
    return request.accept_languages.best_match(languages) or languages[0]


def language_choices() -> list[tuple[str, str]]:
    """(code, name) for the layout's language switcher."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in setting("CONSOLE_LANGUAGES")]


def remember_language(code: str) -> None:
    """Keep `code` for this browser, and on the account when someone is signed in."""
    from flask_babel import refresh

    from ..extensions import db

    session["console_locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    refresh()


def select_timezone() -> str | None:
    """The signed-in user's saved timezone, else the console's default."""
    saved = getattr(current_user, "timezone", None) if current_user else None
    # Babel resolves zones with pytz, which lacks names zoneinfo lists (Debian's
    # "localtime"): such a saved zone would break every page that shows a date.
    if saved and saved in pytz.all_timezones_set:
        return saved
    return setting("CONSOLE_DEFAULT_TIMEZONE")


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with the console's catalogues and selectors."""
    from .state import resource_dir

    ours = str(resource_dir("translations"))
    if "babel" in app.extensions:
        # A host with its own Babel keeps its selectors; the console's catalogue is added
        # after the host's so the console's pages are translated too.
        directories = app.extensions["babel"].translation_directories
        if ours not in directories:
            directories.append(ours)
        return
    configured = app.config.get("BABEL_TRANSLATION_DIRECTORIES")
    if configured and ours not in configured.split(";"):
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = f"{configured};{ours}"
    else:
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = configured or ours
    app.config.setdefault("BABEL_DOMAIN", "messages")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
