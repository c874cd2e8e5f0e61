#!/usr/bin/env bash
# The demo: install the portal into .venv (again only when pyproject.toml changed), migrate the
# SQLite database under var/, load the demo workspace and samples (idempotent), and serve it on
# http://127.0.0.1:${PORT:-8000}/ with Django's development server (DEBUG on) and a django-q2
# cluster beside it. SIGTERM, SIGINT (Ctrl-C) or SIGHUP stops both and exits 0.
# Production is scripts/run-production.sh (README: "Run in production"), never this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_portal.sh

export DEBUG=True # the development server serves the static files only while DEBUG is on
PORT=${PORT:-8000}
portal_install ""
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py demo_setup

portal_traps
portal_start qcluster .venv/bin/python manage.py qcluster
portal_start runserver .venv/bin/python manage.py runserver "127.0.0.1:$PORT"
echo "Dashboard: http://127.0.0.1:$PORT/  (admin: /admin/; Ctrl-C stops the demo)"
portal_supervise
