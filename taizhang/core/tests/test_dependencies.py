"""Dependencies point one way (ARCHITECTURE.md layout): core ← organisation ← accounts ← domain apps ←
reports ← api. A walk over the source (outside tests and migrations) that fails on an import against
that direction, with file:line — lazy imports inside functions included. What a lower app must let a
higher one do goes through a hook the lower app declares (``taizhang.core.hooks``).

Also: no two apps import each other (a cycle), whatever their layer.
"""

import ast
from collections import defaultdict
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR) / "taizhang"
LAYER = {"core": 0, "organisation": 1, "accounts": 2,
         "members": 3, "activities": 3, "points": 3, "care": 3, "finance": 3, "places": 3,
         "reports": 4, "api": 5}
# No exceptions: linking a login to its ledger record and the password policy's personal numbers go
# through hooks accounts declares (accounts/hooks.py) and members connects.
KNOWN: set[tuple[str, str]] = set()


def imported_apps(source: str):
    """(line, app) for every ``taizhang.<app>`` the source imports (top level or inside a function)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "taizhang" else [])
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "taizhang" and len(parts) > 1 and parts[1] in LAYER:
                yield node.lineno, parts[1]


def problems_in(source: str, relative: str) -> list[str]:
    app = relative.split("/")[0]
    found = []
    for line, other in imported_apps(source):
        if other != app and LAYER[other] > LAYER[app] and (relative, other) not in KNOWN:
            found.append(f"{relative}:{line}: {app} imports {other}, which sits above it "
                         f"(move the code up, or let {other} connect to a hook {app} declares)")
    return found


def source_files():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/" not in relative or "/tests/" in f"/{relative}" or "/migrations/" in f"/{relative}":
            continue
        yield relative, path.read_text(encoding="utf-8")


def test_no_app_imports_an_app_above_it():
    found = [problem for relative, source in source_files() for problem in problems_in(source, relative)]
    assert not found, "imports against the dependency direction:\n" + "\n".join(found)


def test_no_two_apps_import_each_other():
    imports = defaultdict(dict)  # app -> {other app: first place}
    for relative, source in source_files():
        app = relative.split("/")[0]
        for line, other in imported_apps(source):
            if other != app and (relative, other) not in KNOWN:
                imports[app].setdefault(other, f"{relative}:{line}")
    cycles = [f"{app} ({where}) ⇄ {other} ({imports[other][app]})"
              for app in sorted(imports) for other, where in sorted(imports[app].items())
              if app < other and app in imports[other]]
    assert not cycles, "apps that import each other:\n" + "\n".join(cycles)


def test_the_walk_finds_imports_against_the_direction():
    bad = '''
from taizhang.organisation.models import Committee
import taizhang.members.models

def lazy():
    from taizhang import points
'''
    found = problems_in(bad, "core/commands.py")
    assert [line.split(": ", 1)[0] for line in found] == ["core/commands.py:2", "core/commands.py:3",
                                                          "core/commands.py:6"]
    assert problems_in("from taizhang.accounts.models import User\n", "organisation/services.py") == [
        "organisation/services.py:1: organisation imports accounts, which sits above it "
        "(move the code up, or let accounts connect to a hook organisation declares)"]
    good = "from taizhang.core.hooks import Hook\nfrom taizhang.organisation import hooks\n"
    assert problems_in(good, "members/hooks.py") == []
    assert problems_in("from taizhang.reports.overview import home_panel\n", "reports/apps.py") == []
