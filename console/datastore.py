"""Flask-Security's datastore with email lookups and writes by the canonical address."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_security import SQLAlchemyUserDatastore
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from .core.emails import MESSAGE, EmailInUseError, canonical_email, is_email_conflict
from .core.errors import wants_json


class ConsoleUserDatastore(SQLAlchemyUserDatastore):
    """Finds a user by email through the unique canonical index; a write that loses a race
    for an address raises EmailInUseError after rolling everything back."""

    def find_user(self, case_insensitive: bool = False, **kwargs: Any) -> Any:
        """Sign-in, registration, change of email and reset all look addresses up here."""
        if set(kwargs) != {"email"}:
            return super().find_user(case_insensitive=case_insensitive, **kwargs)
        email = kwargs["email"]
        if not isinstance(email, str) or not email:
            return None
        # One indexed equality: a look-alike finds the account it imitates or none, never
        # another, and no function runs over the table.
        model = self.user_model
        return self.db.session.scalar(
            select(model).where(model.email_canonical == canonical_email(email))  # type: ignore[attr-defined]
        )

    def put(self, model: Any) -> Any:
        """Add `model`; a new user or a changed address is written at once, so that a race
        lost to another account ends here, inside the view, before any mail is sent."""
        model = super().put(model)
        if isinstance(model, self.user_model) and _address_pending(model):
            try:
                self.db.session.flush()
            except IntegrityError as error:
                self._refuse(error, model)
        return model

    def commit(self) -> None:
        """Commit; a conflict on the address rolls the whole request's writes back."""
        try:
            super().commit()
        except IntegrityError as error:
            self._refuse(error, None)

    def _refuse(self, error: IntegrityError, user: Any) -> None:
        self.db.session.rollback()
        if not is_email_conflict(error):
            raise error
        raise EmailInUseError(getattr(user, "email", None)) from error


def _address_pending(user: Any) -> bool:
    state = inspect(user)
    return state.pending or state.transient or state.attrs.email_canonical.history.has_changes()


def init_app(app: Flask) -> None:
    """Answer a conflict raised inside Flask-Security's views with the same clear message."""

    @app.errorhandler(EmailInUseError)
    def _email_in_use(error: EmailInUseError) -> Response:
        if wants_json():
            response = jsonify({"error": {"code": 409, "message": str(MESSAGE)}})
        else:
            response = Response(
                render_template(
                    "console/error.html",
                    code=409,
                    title=_l("Email address already in use"),
                    message=MESSAGE,
                ),
                mimetype="text/html",
            )
        response.status_code = 409
        return response
