"""One action catalogue: every action is declared once, labelled and described in every
language, and every action the code records is declared."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
LANGUAGES = ("en", "de", "fr", "es", "ja")
# A dotted verb as the audit trail stores it.
ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


@pytest.fixture(scope="module")
def catalogue():
    """The declared actions of a whole console (every feature's init_app has run)."""
    from console import create_app
    from console.core import actions

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    return {action.name: action for action in actions.all_actions()}


def _msgid(text) -> str:
    # flask_babel's LazyString keeps gettext's arguments: the first is the msgid.
    args = getattr(text, "_args", None)
    return args[0] if args else str(text)


def _po(language: str):
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as f:
        return read_po(f, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_action_has_a_label_and_description_in_every_language(catalogue, language):
    texts = {}
    for action in catalogue.values():
        texts[(action.name, "label")] = action.label
        texts[(action.name, "description")] = action.description
        if action.notice is not None:
            texts[(action.name, "notice")] = action.notice
        if action.notice_subject is not None:
            texts[(action.name, "notice_subject")] = action.notice_subject
    if language == "en":
        missing = [key for key, text in texts.items() if not _msgid(text).strip()]
        assert missing == []
        # A label is words, not the code again.
        assert [n for n, a in catalogue.items() if _msgid(a.label) == n] == []
        return
    po = _po(language)
    missing = []
    for key, text in sorted(texts.items()):
        message = po.get(_msgid(text))
        if message is None or not message.string or message.fuzzy:
            missing.append((*key, _msgid(text)))
    assert missing == [], f"{len(missing)} texts untranslated in {language}"


def test_actions_are_grouped_and_named_as_dotted_verbs(catalogue):
    from console.core.actions import GROUPS

    assert len(catalogue) > 60
    assert [n for n in catalogue if not ACTION.match(n)] == []
    assert {a.group for a in catalogue.values()} <= set(GROUPS)
    # Every group that has actions has some: sign-ins, failures, MFA, sessions, admin ...
    assert {"sign_in", "failure", "mfa", "session", "admin"} <= {
        a.group for a in catalogue.values()
    }


def test_declaring_one_name_twice_differently_is_refused(catalogue):
    from console.core import actions

    known = catalogue["user.login"]
    actions.declare([known])  # the same declaration again is harmless
    with pytest.raises(ValueError, match="declared twice"):
        actions.declare([actions.Action("user.login", "x", "y", "sign_in")])


def _literal_actions(path: Path) -> set[str]:
    """Actions passed as a string literal to emit(), record() or an action= argument."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        candidates = []
        if name in {"emit", "record", "_end", "_emit_ended"} and node.args:
            candidates.append(node.args[0])
        # action= of a flow call (not a form's action= URL, which is a url_for call)
        candidates += [
            k.value
            for k in node.keywords
            if k.arg == "action" and not isinstance(k.value, ast.Call)
        ]
        for arg in candidates:
            for sub in ast.walk(arg):
                is_text = isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                if is_text and ACTION.match(sub.value):
                    found.add(sub.value)
    return found


def test_every_action_the_code_records_is_declared(catalogue):
    from console.mfa.flows import FACTOR_ACTIONS
    from console.sessions.flows import ACTIONS as SESSION_ACTIONS

    recorded: set[str] = set()
    for path in CONSOLE.rglob("*.py"):
        if path.name != "events.py":
            recorded |= _literal_actions(path)
    # Names built at run time: the MFA flows' "mfa.<factor>.enabled|disabled" and the
    # sessions' end actions by reason.
    for factor in {*FACTOR_ACTIONS.values(), "two_factor"}:
        recorded |= {f"mfa.{factor}.enabled", f"mfa.{factor}.disabled"}
    recorded |= set(SESSION_ACTIONS.values()) | {"session.ended"}
    assert len(recorded) > 50
    assert sorted(recorded - set(catalogue)) == []


def test_every_flask_security_receiver_records_a_declared_action(catalogue):
    path = CONSOLE / "audit" / "receivers.py"
    assert sorted(_literal_actions(path) - set(catalogue)) == []


def test_recording_an_undeclared_action_warns(app):
    from console.audit import flows

    with pytest.warns(flows.UndeclaredActionWarning, match="not.declared.anywhere"):
        flows.record("not.declared.anywhere")


def _calls(function: ast.AST) -> list[tuple[int, int, str]]:
    """(line, column, kind) of each emit and commit call in `function`, in source order."""
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in {"emit", "record"}:
            found.append((node.lineno, node.col_offset, "emit"))
        elif name in {"commit", "_commit"}:
            found.append((node.lineno, node.col_offset, "commit"))
    return sorted(found)


def test_no_flow_emits_after_its_last_commit():
    """Emit, then commit, then notify: an event emitted after the flow's last commit would
    wait for somebody else's commit (or be lost outside a request)."""
    late = []
    for path in sorted(CONSOLE.rglob("flows.py")):
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            calls = _calls(function)
            commits = [line for line, _col, kind in calls if kind == "commit"]
            if not commits:
                continue  # its caller commits (a bulk run, a Flask-Security view)
            last = max(commits)
            emits_after = [line for line, _col, kind in calls if kind == "emit" and line > last]
            if emits_after:
                late.append(f"{path.relative_to(ROOT)}:{function.name}:{emits_after}")
    assert late == []
