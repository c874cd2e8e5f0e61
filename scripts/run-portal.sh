#!/usr/bin/env bash
# Install the portal into .venv, migrate the SQLite database, load the demo and serve it on
# http://127.0.0.1:${PORT:-8000}/ with a django-q2 cluster running beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py demo_setup
.venv/bin/python manage.py qcluster &
QCLUSTER=$!
trap 'kill "$QCLUSTER" 2>/dev/null; wait "$QCLUSTER" 2>/dev/null' EXIT INT TERM
echo "Dashboard: http://127.0.0.1:${PORT:-8000}/  (admin: /admin/)"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
