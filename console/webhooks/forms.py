"""The endpoint form: it validates what was typed and never changes data."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import Length, ValidationError

from ..core import actions
from . import addresses
from .errors import text
from .flows import DESCRIPTION_MAX_LENGTH, groups


def _http_url(form: FlaskForm, field: Any) -> None:
    try:
        addresses.parse((field.data or "").strip())
    except addresses.AddressRefused:
        raise ValidationError(text("url")) from None


def _some_events(form: FlaskForm, field: Any) -> None:
    if not field.data:
        raise ValidationError(text("no_events"))


class EndpointForm(FlaskForm):
    """URL, description and the events an endpoint receives (groups or single actions)."""

    url = StringField(_l("Endpoint URL"), validators=[_http_url])
    description = StringField(
        _l("Description"),
        validators=[Length(max=DESCRIPTION_MAX_LENGTH, message=_l("At most 200 characters."))],
    )
    # Unknown names are the flow's to refuse, with its own message.
    event_types = SelectMultipleField(
        _l("Events to send"), validators=[_some_events], validate_choice=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(key, label) for key, label in groups().items()]
        choices += [(action.name, action.label) for action in actions.all_actions()]
        self.event_types.choices = choices  # type: ignore[assignment]


def actions_by_group() -> list[tuple[str, Any, list[actions.Action]]]:
    """(group key, group label, its actions) in the catalogue's order, for the checklist."""
    every = actions.all_actions()
    return [
        (key, label, [action for action in every if action.group == key])
        for key, label in actions.GROUPS.items()
    ]
