"""Forms for operators' user pages: they validate input and never change data."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..core.user_fields import host_user_fields, max_length
from ..mixins import ConsoleRoleMixin
from ..settings import setting

ERRORS = {
    "email": _l("Enter a valid email address."),
    "username": _l("Usernames may only contain letters, digits and - . _ characters."),
    "timezone": _l("Choose a timezone from the list, such as Europe/Paris."),
    "locale": _l("Choose one of the console's languages."),
}


def _valid_email(form: Form, field: Any) -> None:
    from flask_security.proxies import _security

    try:
        _security._mail_util.validate(field.data or "")
    except ValueError as error:
        raise ValidationError(str(ERRORS["email"])) from error


def _valid_username(form: Form, field: Any) -> None:
    from flask_security.proxies import _security

    if field.data:
        message, _clean = _security._username_util.validate(field.data)
        if message:
            raise ValidationError(str(ERRORS["username"]))


def _valid_timezone(form: Form, field: Any) -> None:
    if field.data and field.data not in available_timezones():
        raise ValidationError(str(ERRORS["timezone"]))


def role_choices(roles: list[ConsoleRoleMixin]) -> list[tuple[int, str]]:
    """(id, name) for every role, by name."""
    return [(role.id, role.name) for role in sorted(roles, key=lambda r: r.name.lower())]


class _ProfileForm(Form):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=255), _valid_email])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=255)])
    username = StringField(
        _l("Username"), validators=[Optional(), Length(max=255), _valid_username]
    )
    roles = SelectMultipleField(_l("Roles"), coerce=int, validate_choice=True)

    def __init__(self, *args: Any, roles: list[ConsoleRoleMixin], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = role_choices(roles)  # type: ignore[assignment]
        self._roles = {role.id: role for role in roles}

    def selected_roles(self) -> list[ConsoleRoleMixin]:
        """The Role objects ticked in the form."""
        return [self._roles[i] for i in self.roles.data or [] if i in self._roles]


class UserCreateForm(_ProfileForm):
    """Email, name, username and roles of an account to invite."""


class UserEditForm(_ProfileForm):
    """The profile, roles and active flag, with the version the form was built from."""

    locale = SelectField(_l("Language"), validators=[Optional()], validate_choice=False)
    timezone = StringField(_l("Timezone"), validators=[Optional(), Length(max=64), _valid_timezone])
    active = BooleanField(_l("Active (may sign in)"))
    version = IntegerField(validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = setting("CONSOLE_LANGUAGES")
        self.locale.choices = [("", str(_l("Browser default")))] + [  # type: ignore[assignment]
            (code, code) for code in languages
        ]

    def validate_locale(self, field: Any) -> None:
        if field.data and field.data not in setting("CONSOLE_LANGUAGES"):
            raise ValidationError(str(ERRORS["locale"]))

    # The host's own columns (console.core.user_fields), set by edit_form.
    host_field_names: tuple[str, ...] = ()

    def host_fields(self) -> list[Any]:
        """The bound fields of the host's own columns, in declaration order."""
        return [self[name] for name in self.host_field_names]

    def profile_values(self) -> dict[str, Any]:
        """The editable profile values as the flow expects them."""
        return {
            "email": (self.email.data or "").strip(),
            "name": (self.name.data or "").strip(),
            "username": (self.username.data or "").strip(),
            "locale": self.locale.data or "",
            "timezone": (self.timezone.data or "").strip(),
            "active": bool(self.active.data),
            **{name: (self[name].data or "").strip() for name in self.host_field_names},
        }


def edit_form(*args: Any, **kwargs: Any) -> UserEditForm:
    """A UserEditForm with a field for each column the host declared
    (declare_user_fields); built per request because declarations are per application."""
    declared = host_user_fields()
    if not declared:
        return UserEditForm(*args, **kwargs)
    fields: dict[str, Any] = {
        name: StringField(
            field.label,
            validators=[Optional(), Length(max=max_length(name))],
            description=field.help or "",
        )
        for name, field in declared.items()
    }
    form_class = type("HostUserEditForm", (UserEditForm,), fields)
    form_class.host_field_names = tuple(declared)
    return form_class(*args, **kwargs)


class NotesForm(Form):
    """Operator notes (limited HTML, cleaned on save) and the version they edit."""

    notes = TextAreaField(_l("Notes"), validators=[Length(max=20000)])
    version = IntegerField(validators=[InputRequired()])
