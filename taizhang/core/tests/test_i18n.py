"""The Simplified Chinese catalogue is complete, well-formed and actually used.

Everything users see is Chinese; the code is in English and goes through gettext. These tests read
``locale/zh_Hans/LC_MESSAGES/django.po`` directly and check that Django serves the translations.
The .mo file is gitignored (the build compiles it); if it is missing or older than the .po, the
``compiled_catalogue`` fixture compiles it with Babel and resets Django's translation caches.
"""

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from asgiref.local import Local
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from taizhang.core.chinese import parse_citizen_id
from taizhang.members.tests.factories import citizen_id, with_wrong_check_digit

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s, %(n)d, %s, %.1f … but not the literal %%.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]+)\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)


def read_catalogue():
    with open(PO_PATH, "rb") as f:
        return read_po(f, locale="zh_Hans")


def placeholders(text: str) -> set[str]:
    """The placeholders of a python-format string, e.g. {"%(name)s", "%(n)d"}."""
    return {m.group(0) for m in PLACEHOLDER.finditer(text) if m.group("conv") != "%"}


def as_tuple(value) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def reset_translation_caches():
    """What django.test.signals.language_changed does when LOCALE_PATHS changes (Django 5.2)."""
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
    trans_real.translation_catalog_exists.cache_clear()


@pytest.fixture(scope="session")
def compiled_catalogue():
    """Make sure django.mo exists and is at least as new as django.po, then reload translations."""
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        catalogue = read_catalogue()
        # Write next to the target and rename, so parallel (xdist) workers never see half a file.
        fd, tmp = tempfile.mkstemp(dir=LC_MESSAGES, prefix=".django.mo.")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalogue)
            os.chmod(tmp, 0o644)
            os.replace(tmp, MO_PATH)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    reset_translation_caches()
    yield MO_PATH
    reset_translation_caches()


# --- the .po file itself ---------------------------------------------------------------------------


def test_catalogue_header():
    catalogue = read_catalogue()
    assert str(catalogue.locale) == "zh_Hans"
    assert catalogue.num_plurals == 1
    assert catalogue.plural_expr.strip() == "0"
    assert catalogue.charset.lower() == "utf-8"
    assert not catalogue.fuzzy, "the catalogue header is marked fuzzy"


def test_every_entry_is_translated_and_not_fuzzy():
    catalogue = read_catalogue()
    untranslated, fuzzy = [], []
    for message in catalogue:
        if not message.id:
            continue  # the header
        if message.fuzzy:
            fuzzy.append(message.id)
        if not all(s.strip() for s in as_tuple(message.string)):
            untranslated.append(message.id)
    assert len(list(catalogue)) > 100, "the catalogue looks empty: run makemessages -l zh_Hans"
    assert not untranslated, f"{len(untranslated)} entries have an empty msgstr: {untranslated}"
    assert not fuzzy, f"{len(fuzzy)} entries are marked fuzzy: {fuzzy}"


def test_plural_entries_have_one_form():
    catalogue = read_catalogue()
    wrong = [m.id for m in catalogue if m.pluralizable and len(as_tuple(m.string)) != 1]
    assert not wrong, f"Chinese has one plural form (msgstr[0] only): {wrong}"


def test_python_format_placeholders_are_kept():
    catalogue = read_catalogue()
    wrong = []
    for message in catalogue:
        if not message.id or not message.python_format:
            continue
        wanted = set().union(*(placeholders(i) for i in as_tuple(message.id)))
        for translated in as_tuple(message.string):
            got = placeholders(translated)
            if got != wanted:
                wrong.append(f"{message.id!r}: wants {sorted(wanted)}, msgstr has {sorted(got)}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


# --- Django serves the translations ----------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese(compiled_catalogue, client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-CN"' in html
    assert "登录" in html
    assert "Sign in" not in html


def test_citizen_id_check_digit_error_is_chinese(compiled_catalogue):
    wrong = with_wrong_check_digit(citizen_id())
    with translation.override(settings.LANGUAGE_CODE):
        with pytest.raises(ValidationError) as exc:
            parse_citizen_id(wrong)
    message = exc.value.messages[0]
    assert exc.value.code == "checksum"
    assert "校验" in message, message


# --- the catalogue is what makemessages makes of the code ------------------------------------------

MAKEMESSAGES_ARGS = [
    "-l",
    "zh_Hans",
    "--no-obsolete",
    "--no-location",
    "--ignore=.venv",
    "--ignore=node_modules",
    "--ignore=staticfiles",
    "--ignore=*/tests/*",
    "--ignore=benchmarks",
    "--ignore=scripts",
    "--ignore=db",
]  # the same flags as `make translations`


def _without_creation_date(text: str) -> str:
    return re.sub(r'^"POT-Creation-Date: .*\\n"$', "", text, flags=re.M)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_makemessages_would_not_change_the_catalogue(tmp_path):
    """Every msgid in the code is in django.po and nothing else is: `make translations` is a no-op."""
    base = Path(settings.BASE_DIR)
    for name in ("taizhang", "templates", "config"):
        shutil.copytree(base / name, tmp_path / name, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.pyc"))
    shutil.copy(base / "manage.py", tmp_path / "manage.py")
    shutil.copytree(base / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_ARGS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    before = _without_creation_date(PO_PATH.read_text(encoding="utf-8"))
    after = _without_creation_date((tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8"))
    if before != after:
        diff = difflib.unified_diff(before.splitlines(), after.splitlines(), "django.po", "makemessages", lineterm="")
        pytest.fail("`make translations` would change the catalogue:\n" + "\n".join(list(diff)[:60]))
