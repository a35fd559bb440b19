"""Production mode refuses unsafe settings (ARCHITECTURE.md rule 12)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAFE = {
    "TAIZHANG_ENV": "production",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 50,
    "TAIZHANG_FIELD_KEY": "0f" * 16,
    "TAIZHANG_HASH_KEY": "1e" * 32,
}


def load_settings(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAIZHANG_", "DJANGO_"))}
    env.update({k: v for k, v in {**SAFE, **overrides}.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.DEBUG, s.PRODUCTION)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_production_starts_with_safe_settings():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"


@pytest.mark.parametrize(
    "override, complaint",
    [
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG must be off"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"TAIZHANG_FIELD_KEY": None}, "TAIZHANG_FIELD_KEY"),
        ({"TAIZHANG_HASH_KEY": None}, "TAIZHANG_HASH_KEY"),
    ],
)
def test_production_refuses_unsafe_settings(override, complaint):
    result = load_settings(**override)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr and complaint in result.stderr


def test_development_defaults_start_without_configuration():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAIZHANG_", "DJANGO_"))}
    result = subprocess.run([sys.executable, "-c", "import config.settings as s; print(s.DEBUG)"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "True"
