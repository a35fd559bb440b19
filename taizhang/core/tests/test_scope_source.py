"""Scope lives in one module (issue 9): a walk over the source that fails when code outside
``taizhang/core/permissions.py`` works a user's scope out again instead of asking it.

Flagged (with file:line):
* a definition of ``own_member``, ``is_staff``, ``user_committee`` or ``home_committee``;
* a ``Branch``/``Committee`` query filtered by the ids of a scope (``….branch_ids`` / ``….committee_ids``):
  the committees of branch roles and the branches of committee roles are ``committee_ids_for`` /
  ``branches_for``;
* ``Member.objects.filter(user=…)`` (the login's own record is ``own_member``), outside the member and
  account services that write the link and the demo loaders;
* ``RoleAssignment.objects.filter(user=…)`` outside the accounts app (roles are ``roles_of`` and friends).
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR) / "taizhang"
PERMISSIONS = ROOT / "core" / "permissions.py"
REDEFINED = {"own_member", "is_staff", "user_committee", "home_committee"}
SCOPE_IDS = {"branch_ids", "committee_ids"}
MEMBER_BY_USER_ALLOWED = {"members/services.py", "members/demo.py", "points/demo.py",
                          "activities/demo.py", "finance/demo.py"}


def _objects_call(node: ast.Call):
    """("Branch", "filter") for ``Branch.objects.filter(...)`` (also after other queryset calls)."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None, None
    target = func.value
    while isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
        target = target.func.value
    if isinstance(target, ast.Attribute) and target.attr == "objects" and isinstance(target.value, ast.Name):
        return target.value.id, func.attr
    return None, None


def problems_in(source: str, relative: str) -> list[str]:
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in REDEFINED:
            found.append(f"{relative}:{node.lineno}: defines {node.name}() again (use taizhang.core.permissions)")
        if not isinstance(node, ast.Call):
            continue
        model, method = _objects_call(node)
        if method not in ("filter", "exclude", "get"):
            continue
        args = [*node.args, *(k.value for k in node.keywords)]
        if model in ("Branch", "Committee") and any(
                isinstance(sub, ast.Attribute) and sub.attr in SCOPE_IDS for arg in args for sub in ast.walk(arg)):
            found.append(f"{relative}:{node.lineno}: derives {model} rows from a scope's ids "
                         "(use committee_ids_for / committees_for / branches_for)")
        keywords = {k.arg for k in node.keywords}
        if model == "Member" and "user" in keywords and relative not in MEMBER_BY_USER_ALLOWED:
            found.append(f"{relative}:{node.lineno}: looks up the login's member record (use own_member)")
        if model == "RoleAssignment" and "user" in keywords and not relative.startswith("accounts/"):
            found.append(f"{relative}:{node.lineno}: reads role assignments (use roles_of / role_committee_ids)")
    return found


def test_no_module_works_the_scope_out_again():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if path == PERMISSIONS or "/tests/" in f"/{relative}" or "/migrations/" in f"/{relative}":
            continue
        found += problems_in(path.read_text(encoding="utf-8"), relative)
    assert not found, "scope worked out outside core/permissions.py:\n" + "\n".join(found)


def test_the_walk_finds_each_kind_of_re_derivation():
    bad = '''
def own_member(user):
    return Member.objects.filter(user=user).first()

def committees(user):
    scope = user_scope(user)
    return Branch.objects.filter(pk__in=scope.branch_ids).values_list("committee_id", flat=True)

def roles(user):
    return RoleAssignment.objects.filter(user=user).select_related("committee").filter(role="x")
'''
    found = problems_in(bad, "members/views.py")
    assert len(found) == 4, found
    assert all(line.startswith("members/views.py:") for line in found)
    good = "def f(user):\n    return branches_for(user, VIEW).filter(committee=c)\n"
    assert problems_in(good, "members/views.py") == []
