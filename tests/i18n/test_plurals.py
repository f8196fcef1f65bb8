"""Messages with a count go through ngettext, so "1 session" is never "1 sessions"."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import MEMBER_PASSWORD, login

ROOT = Path(__file__).resolve().parents[2]
COUNTED = re.compile(r"%\((count|num)\)d")
SINGULAR_CALLS = {"_", "gettext", "_l", "lazy_gettext"}
# `_('...')` or `gettext("...")` in a template, not `ngettext(`.
TEMPLATE_CALL = re.compile(
    r"""(?<![\w.])(?:_|gettext|_l)\(\s*(?P<q>['"])(?P<msgid>.*?)(?P=q)""", re.S
)


def _singular_msgids(source: str) -> list[tuple[int, str]]:
    """(line, msgid) of every `_()`-style call with a literal first argument."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if (
            name in SINGULAR_CALLS
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            found.append((node.lineno, first.value))
    return found


def test_the_scanners_see_a_counted_singular_message():
    assert _singular_msgids('_("Ended %(count)d sessions.", count=2)') == [
        (1, "Ended %(count)d sessions.")
    ]
    assert _singular_msgids('ngettext("%(num)d user", "%(num)d users", 2)') == []
    template = "{{ _('and %(num)d more', num=3) }} {{ ngettext('%(num)d a', '%(num)d b', 2) }}"
    assert [m["msgid"] for m in TEMPLATE_CALL.finditer(template)] == ["and %(num)d more"]


def test_no_python_message_with_a_count_uses_gettext():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {msgid}"
        for path in sorted((ROOT / "console").rglob("*.py"))
        for line, msgid in _singular_msgids(path.read_text(encoding="utf-8"))
        if COUNTED.search(msgid)
    ]
    assert not offenders, "use ngettext for these:\n" + "\n".join(offenders)


def test_no_template_message_with_a_count_uses_gettext():
    offenders = [
        f"{path.relative_to(ROOT)}: {match['msgid']}"
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.suffix in {".html", ".txt"}
        for match in TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8"))
        if COUNTED.search(match["msgid"])
    ]
    assert not offenders, "use ngettext for these:\n" + "\n".join(offenders)


@pytest.mark.settings(SECURITY_PASSWORD_HASH="plaintext")
def test_ending_one_session_says_session_in_the_singular(app, member, operator):
    from console.extensions import db
    from console.sessions.models import SessionRecord

    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    keys = [
        r.key
        for r in db.session.scalars(
            select(SessionRecord).where(
                SessionRecord.user_id == member.id, SessionRecord.ended_at.is_(None)
            )
        )
    ]
    assert len(keys) == 1
    admin = app.test_client()
    assert login(admin, operator.email, "operator password 1").status_code == 302

    response = admin.post(
        "/admin/sessions/end", data={"key": keys, "confirmed": "1"}, follow_redirects=True
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ended 1 session." in body
    assert "Ended 1 sessions" not in body
