"""Role forms: they validate input and never change data."""

from __future__ import annotations

from typing import Any

from flask_admin.form import BaseForm
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.permissions import catalogue


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def _permission_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in catalogue()]


class PermissionChecklist(SelectMultipleField):
    """The declared permissions as checkboxes; only declared names validate (a permission
    nobody declared is kept on the role by the flow, never offered here)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoleForm(BaseForm):
    """Create or edit a role. The `users` relationship is deliberately absent: members are
    managed on the role's page, one paged list, never a form field holding every user."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)], filters=[_strip])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=255)], filters=[_strip]
    )
    permissions = PermissionChecklist(_l("Permissions"), choices=_permission_choices)
    require_mfa = BooleanField(_l("Require MFA for members"))
    # The edit page's: the content tag of the role the form was built from
    # (flows.content_tag), so that saving over someone else's change is refused.
    version = HiddenField(validators=[Optional(), Length(max=64)])

    def role_values(self) -> dict[str, Any]:
        """The validated values, as the role flows take them."""
        return {
            "name": self.name.data,
            "description": self.description.data or "",
            "permissions": list(self.permissions.data or []),
            "require_mfa": bool(self.require_mfa.data),
        }


class DeleteRoleForm(BaseForm):
    """Confirm deleting a role; a role with members needs a role to move them to."""

    id = HiddenField(validators=[InputRequired()])
    reassign_to = SelectField(_l("Move its members to"), coerce=_optional_int)
    confirm = HiddenField(validators=[InputRequired()])


class AddMemberForm(BaseForm):
    """Give the role to an account found by its email address."""

    email = EmailField(
        _l("Email address"), validators=[DataRequired(), Length(max=255)], filters=[_strip]
    )


class RemoveMemberForm(BaseForm):
    """Take the role from one member."""

    user_id = IntegerField(validators=[InputRequired()])
