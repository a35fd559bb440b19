"""Every download writes its audit entry (issue 9 "Exports"). Two halves:

* a walk over every URL pattern: a view that sends a file (directly or through a function of its own
  module) must write an audit entry in the same place — ``export_xlsx`` / ``export_csv`` do it
  themselves; a new download that forgets it fails here, named by its URL;
* requests of the downloads that used to write none (participation, who has read a study item) and a
  few others, checking the entry and its row count.
"""

import ast
import datetime
import inspect
import textwrap

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from taizhang.core.models import AuditEntry

SENDS = {"FileResponse", "xlsx_response", "csv_response", "_file_response", "export_xlsx", "export_csv",
         "send_export", "StreamingHttpResponse"}
AUDITS = {"audit_log", "log_export", "export_xlsx", "export_csv", "send_export"}
# Downloads that carry no personal or organisational data, with the reason.
EXEMPT = {
    "points:import_template": "a blank template with the column names only",
}


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, ns)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}", entry.callback


def _calls(func_node) -> set:
    names = set()
    for node in ast.walk(func_node):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return names


def _module_functions(module) -> dict:
    tree = ast.parse(inspect.getsource(module))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def unaudited_downloads() -> list[str]:
    found = []
    for name, callback in _patterns():
        view = inspect.unwrap(callback)
        module = inspect.getmodule(view)
        if module is None or not module.__name__.startswith("taizhang.") or not inspect.isfunction(view):
            continue
        functions = _module_functions(module)
        node = functions.get(view.__name__)
        if node is None:
            node = ast.parse(textwrap.dedent(inspect.getsource(view))).body[0]
        own = _calls(node)
        helpers = [functions[c] for c in own if c in functions and c != view.__name__]
        sends = own & SENDS or any(_calls(h) & SENDS for h in helpers)
        audits = own & AUDITS or any(_calls(h) & AUDITS for h in helpers)
        if sends and not audits and name not in EXEMPT:
            found.append(f"{name} ({module.__name__}.{view.__name__})")
    return found


def test_every_download_view_writes_an_audit_entry():
    assert unaudited_downloads() == [], "downloads without an audit entry"


def test_the_walk_sees_the_downloads():
    names = {n for n, _cb in _patterns()}
    for expected in ("members:export_xlsx", "points:participation", "content:study_readers", "finance:campaign_export"):
        assert any(n == expected for n in names), expected


@pytest.mark.django_db
def test_participation_and_readers_exports_are_audited(client, cast):
    from taizhang.activities.content_services import study_item_create

    client.force_login(cast.admin)
    response = client.get(reverse("points:participation"), {"format": "xlsx"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="points.participation_export")
    assert entry.new_values["rows"] == len(cast.members) and entry.actor == cast.admin
    item = study_item_create(actor=cast.admin, committee=cast.committee, kind="monthly", title="每月一学",
                             body="学习党章", month=datetime.date(2026, 6, 1))
    response = client.get(reverse("content:study_readers", args=[item.pk]), {"format": "xlsx"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="study.readers_export")
    assert entry.new_values["rows"] == len(cast.members) and entry.new_values["read"] == 0


def test_the_walk_catches_a_download_without_an_audit_entry(monkeypatch):
    monkeypatch.setattr(__import__(__name__, fromlist=["EXEMPT"]), "EXEMPT", {})
    assert unaudited_downloads() == ["points:import_template (taizhang.points.views.import_template)"]
