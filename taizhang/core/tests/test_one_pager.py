"""Every list page uses the shared pager include, and htmx is detected only through ``request.htmx``
(issue 9 "Lists", "Errors shown to users")."""

from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)


def test_no_template_carries_its_own_pagination_markup():
    own = [str(p.relative_to(BASE)) for p in [*BASE.glob("templates/**/*.html"), *BASE.glob("taizhang/**/templates/**/*.html")]
           if 'class="pagination' in p.read_text(encoding="utf-8") and p.name != "pager.html"]
    assert own == []


def test_htmx_requests_are_recognised_in_one_way():
    found = [f"{p.relative_to(BASE)}" for p in BASE.glob("taizhang/**/*.py")
             if "/tests/" not in str(p) and ("HX-Request" in p.read_text(encoding="utf-8")
                                             or "HTTP_HX_REQUEST" in p.read_text(encoding="utf-8"))]
    assert found == []
