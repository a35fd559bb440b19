#!/usr/bin/env bash
# Load the demo organisation and every app's demo data, in dependency order: the one list of demo loaders,
# used by `make demo`, scripts/run.sh (on an empty database) and scripts/scale_drill.sh. An app that adds a
# load_demo_<app> command adds it here. Each loader refuses production (core.commands.run_demo_loader).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-.venv/bin/python}
for command in load_demo load_demo_activities load_demo_points load_demo_finance load_demo_care load_demo_places; do
    "$PY" manage.py "$command"
done
