"""The catalogue of audit actions: each declared once with its label, description, group
and the notice the account holder gets; pages, mail and tests read it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

# Groups, in the order a filter or a legend lists them.
GROUPS: dict[str, Any] = {
    "sign_in": _l("Sign-ins"),
    "failure": _l("Failures"),
    "account": _l("Account changes"),
    "mfa": _l("Second factors"),
    "session": _l("Sessions"),
    "admin": _l("Operator changes"),
    "system": _l("System"),
}


@dataclass(frozen=True)
class Action:
    """One audit action: `name` is the dotted verb stored in the trail.

    `notice` is what the account holder is told by mail (None: not told); its text may
    use the event's details as %(name)s placeholders. `notice_subject` is the mail's
    subject line (a generic one when None).
    """

    name: str
    label: Any
    description: Any
    group: str
    notice: Any = None
    notice_subject: Any = None

    @property
    def tells_user(self) -> bool:
        return self.notice is not None


_CATALOGUE: dict[str, Action] = {}


class UndeclaredAction(KeyError):
    """An action was used that no feature declared."""


def declare(actions: Iterable[Action]) -> None:
    """Add `actions` to the catalogue (features call this from their init_app).

    Declaring the same action again is harmless; declaring a name twice differently is
    a programming error, because one fact must have one meaning.
    """
    for action in actions:
        if action.group not in GROUPS:
            raise ValueError(f"unknown action group {action.group!r} for {action.name}")
        known = _CATALOGUE.get(action.name)
        if known is not None and known != action:
            raise ValueError(f"audit action {action.name} is declared twice")
        _CATALOGUE[action.name] = action


def get(name: str) -> Action:
    """The declared action `name`; raises UndeclaredAction."""
    try:
        return _CATALOGUE[name]
    except KeyError:
        raise UndeclaredAction(name) from None


def find(name: str) -> Action | None:
    """The declared action `name`, or None."""
    return _CATALOGUE.get(name)


def all_actions() -> list[Action]:
    """Every declared action, by group then name."""
    order = list(GROUPS)
    return sorted(_CATALOGUE.values(), key=lambda a: (order.index(a.group), a.name))


def label(name: str) -> Any:
    """The readable name of `name` (the dotted verb itself when nobody declared it)."""
    action = _CATALOGUE.get(name)
    return action.label if action is not None else name


def description(name: str) -> Any:
    """The one-line description of `name` ("" when nobody declared it)."""
    action = _CATALOGUE.get(name)
    return action.description if action is not None else ""


def notice(name: str) -> Any:
    """What the account holder is told about `name`, or None when they are not told."""
    action = _CATALOGUE.get(name)
    return action.notice if action is not None else None
