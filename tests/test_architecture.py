"""Features meet through contracts in console.core, and settings through one strict lookup."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CONSOLE = Path(__file__).resolve().parent.parent / "console"
TEMPLATES = CONSOLE.parent / "templates"

# The factory imports the feature packages by name: the one place that wires them.
WIRING = CONSOLE / "__init__.py"
PROBES = frozenset({"view_functions", "url_map"})
# Read from the environment before any app exists, and owned by the deployment settings:
# check_production() sees the raw mapping it is given.
RAW_CONFIG_READERS = {CONSOLE / "config.py": {"check_production"}}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(), str(path))) for path in sorted(CONSOLE.rglob("*.py"))
    ]


def _imports_importlib(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name == "importlib" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.module == "importlib"
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__"


def _admin_path_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.match(r"^/admin(/|$)", node.value) is not None
    return isinstance(node, ast.JoinedStr) and any(
        isinstance(part, ast.Constant) and str(part.value).startswith("/admin")
        for part in node.values
    )


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(CONSOLE.parent)}:{getattr(node, 'lineno', '?')}"


def _console_key(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("CONSOLE_")
    )


def _is_config(node: ast.AST) -> bool:
    """`config`, `app.config`, `current_app.config`, `self.app.config`..."""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config"
    )


def _enclosing_functions(tree: ast.Module) -> dict[ast.AST, str]:
    owner: dict[ast.AST, str] = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                owner.setdefault(node, function.name)
    return owner


def test_no_feature_is_found_by_importlib_or_by_probing_routes():
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if path == WIRING:
                continue
            if _imports_importlib(node):
                found.append(_where(path, node))
            elif isinstance(node, ast.Attribute) and node.attr in PROBES:
                found.append(f"{_where(path, node)} .{node.attr}")
    assert not found, "use a registry in console.core (links, gates, nav...) instead: " + str(found)


def test_settings_are_read_only_through_setting():
    found = []
    for path, tree in _modules():
        if path.name == "settings.py" and path.parent == CONSOLE:
            continue
        allowed = RAW_CONFIG_READERS.get(path, set())
        owners = _enclosing_functions(tree)
        for node in ast.walk(tree):
            raw = (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Load)
                and _is_config(node.value)
                and _console_key(node.slice)
            ) or (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get", "pop")
                and _is_config(node.func.value)
                and node.args
                and _console_key(node.args[0])
            )
            if raw and owners.get(node) not in allowed:
                found.append(_where(path, node))
    assert not found, "read console settings with console.settings.setting(): " + str(found)


def test_templates_read_settings_through_console_setting():
    raw = re.compile(r"config\s*(\[\s*['\"]|\.get\(\s*['\"]|\.)CONSOLE_")
    found = [
        str(path.relative_to(TEMPLATES))
        for path in sorted(TEMPLATES.rglob("*.html"))
        if raw.search(path.read_text())
    ]
    assert not found, found


def test_settings_have_one_spelling():
    """setting() takes the key as the defaults table spells it, nothing shorter."""
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "setting"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and not str(node.args[0].value).startswith("CONSOLE_")
            ):
                found.append(_where(path, node))
    assert not found, found


def test_admin_pages_are_mounted_through_the_admin_url():
    """No path under the admin URL is written out: console.core.paths builds them."""
    found = []
    for path, tree in _modules():
        if path.name == "settings.py" and path.parent == CONSOLE:
            continue
        for node in ast.walk(tree):
            if _admin_path_literal(node):
                found.append(_where(path, node))
    assert not found, found


def test_core_imports_no_feature():
    features = {
        path.name
        for path in CONSOLE.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name != "core"
    }
    found = []
    for path in sorted((CONSOLE / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module:
                if node.module.split(".")[0] in features:
                    found.append(_where(path, node))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[0] == "console" and len(parts) > 1 and parts[1] in features:
                    found.append(_where(path, node))
    assert not found, found


def test_hosts_still_import_the_state_from_the_package():
    from console import ConsoleState, resource_dir
    from console.core.state import ConsoleState as CoreState
    from console.core.state import resource_dir as core_resource_dir

    assert ConsoleState is CoreState and resource_dir is core_resource_dir


def test_no_admin_view_is_a_model_view():
    """Operator pages are plain Flask-Admin views with the console's routes: a model view
    brings routes that count and OFFSET the table, and options nobody reads."""
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "flask_admin.contrib"
            ):
                found.append(f"{_where(path, node)} imports {node.module}")
            elif isinstance(node, ast.ClassDef):
                bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
                if bases & {"ModelView", "BaseModelView"}:
                    found.append(f"{_where(path, node)} {node.name}")
    assert not found, found


# The shipped models are chosen by the factory; a host may configure its own instead.
SHIPPED_MODELS = CONSOLE / "models.py"
MODEL_WIRING = {WIRING, SHIPPED_MODELS}


def _imported_module(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an `from X import ...` names, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    # A module's package is its folder, and so is a package's own __init__.py's.
    package = list(path.relative_to(CONSOLE.parent).parent.parts)
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def test_no_module_imports_a_concrete_model_class():
    """Features ask console.core.models for the configured models (a host's own, maybe)."""
    found = []
    for path, tree in _modules():
        if path in MODEL_WIRING:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = _imported_module(path, node)
                names = {alias.name for alias in node.names}
                if module == "console.models" or (module == "console" and "models" in names):
                    found.append(f"{_where(path, node)} {module} {sorted(names)}")
            elif isinstance(node, ast.Import) and any(
                alias.name == "console.models" for alias in node.names
            ):
                found.append(_where(path, node))
    assert not found, "use console.core.models.models() inside functions: " + str(found)


def test_the_consoles_own_tables_are_declared_on_console_model():
    """db.Model and db.Table are the standalone object's: a table declared on them would be
    missing from a host's schema. console.core.schema.ConsoleModel follows the configuration."""
    found = []
    for path, tree in _modules():
        if path == SHIPPED_MODELS:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("Model", "Table")
                and isinstance(node.value, ast.Name)
                and node.value.id == "db"
            ):
                found.append(_where(path, node))
    assert not found, found


def test_the_architecture_check_resolves_relative_imports():
    def module(path: Path, source: str) -> str:
        node = ast.parse(source).body[0]
        assert isinstance(node, ast.ImportFrom)
        return _imported_module(path, node)

    sessions = CONSOLE / "sessions" / "flows.py"
    assert module(sessions, "from ..models import User") == "console.models"
    assert module(sessions, "from .models import SessionRecord") == "console.sessions.models"
    assert module(CONSOLE / "accounts.py", "from .models import User") == "console.models"
    assert module(CONSOLE / "roles" / "__init__.py", "from ..models import Role") == (
        "console.models"
    )
    assert module(CONSOLE / "mfa" / "totp" / "replay.py", "from ... import models") == "console"
