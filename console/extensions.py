"""The Flask extensions the console uses, created unbound (no feature imports)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from flask_babel import Babel
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ConsoleSQLAlchemy(SQLAlchemy):
    """The standalone console's SQLAlchemy object (the shipped models are declared on it).

    In an application whose SQLAlchemy object is another one (a host's, passed as
    `SecurityConsole(db=...)`), `session`, `engines` and `engine` are that object's, so
    features write `db.session` whichever object the console was configured with.
    """

    def _other(self) -> SQLAlchemy | None:
        if not has_app_context():
            return None
        configured = current_app.extensions.get("sqlalchemy")
        return configured if configured is not None and configured is not self else None

    @property  # type: ignore[override]
    def session(self) -> Any:
        other = self._other()
        return other.session if other is not None else self._own_session

    @session.setter
    def session(self, value: Any) -> None:
        self._own_session = value

    @property
    def engines(self) -> Any:
        other = self._other()
        return other.engines if other is not None else super().engines


db = ConsoleSQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
mail = Mail()
