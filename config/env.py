"""Tiny helpers to read settings from the environment.

A setting that cannot be used stops the process with :func:`refuse`: one line on stderr that says what to
set, never a traceback (the operator reads it in a terminal or in journalctl).
"""

import os
import re
import sys

# gunicorn's APP_LOAD_ERROR: a worker that exits with it stops the whole server (the arbiter halts) instead
# of being restarted in a loop; manage.py and every other command simply exit with it.
CONFIG_ERROR_EXIT = 4


def refuse(problems, prefix="Refusing to start"):
    """Stop the process: ``<prefix>: problem; problem`` on one line of stderr, exit status CONFIG_ERROR_EXIT."""
    if isinstance(problems, str):
        problems = [problems]
    line = prefix + ": " + "; ".join(" ".join(str(p).split()) for p in problems)
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    raise SystemExit(CONFIG_ERROR_EXIT)


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    refuse(f"{name} must be 1 or 0 (also true/false, yes/no, on/off), not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        refuse(f"{name} must be a whole number, not {value!r}")


def env_list(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def hex_key_problem(name, value, length, how):
    """What is wrong with a key that must be ``length`` hex digits (never echoing the key), or None."""
    if re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value or ""):
        return None
    found = f"{len(value)} characters" if re.fullmatch(r"[0-9a-fA-F]*", value or "") else "non-hex characters"
    return f"{name} must be exactly {length} hex characters (found {found}); generate one with {how}"
