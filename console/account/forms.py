"""The profile form: display name, language and time zone; it validates, never saves."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, ValidationError

from ..settings import setting

NAME_MAX = 255


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA zone this system knows, sorted."""
    return tuple(sorted(available_timezones()))


def _language_label(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code


def _printable(form: FlaskForm, field: StringField) -> None:
    # Control characters (a NUL is refused by PostgreSQL) have no place in a name.
    if field.data and any(unicodedata.category(c).startswith("C") for c in field.data):
        raise ValidationError(_l("Use letters, digits, spaces and punctuation only."))


class ProfileForm(FlaskForm):
    """Only these three fields exist: whatever else a request carries is ignored."""

    name = StringField(
        _l("Display name"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Length(max=NAME_MAX), _printable],
    )
    locale = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))
    submit = SubmitField(_l("Save profile"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = [("", _l("Your browser's language"))] + [
            (code, _language_label(code)) for code in setting("CONSOLE_LANGUAGES")
        ]
        default_zone = setting("CONSOLE_DEFAULT_TIMEZONE")
        self.timezone.choices = [("", _l("The console's default (%(zone)s)", zone=default_zone))]
        self.timezone.choices += [(zone, zone) for zone in timezone_names()]

    def validate_timezone(self, field: SelectField) -> None:
        if field.data:
            try:
                ZoneInfo(field.data)
            except (ValueError, KeyError) as error:
                raise ValidationError(_l("Choose a time zone from the list.")) from error

    def profile_values(self) -> dict[str, Any]:
        """The validated values, by profile field name."""
        return {
            "name": self.name.data or None,
            "locale": self.locale.data or None,
            "timezone": self.timezone.data or None,
        }


class NotMeForm(FlaskForm):
    """The one button of a "this wasn't me" link: the link's token is in the URL."""

    submit = SubmitField(_l("Sign out everywhere and reset my password"))
