#!/usr/bin/env bash
# Serve the portal in production: gunicorn with WEB_CONCURRENCY workers on BIND and
# QCLUSTER_PROCESSES django-q2 clusters (`manage.py qcluster`, Q_WORKERS workers each).
#
# Needs production settings: DEBUG off (the default here), SECRET_KEY and ALLOWED_HOSTS; it
# refuses to start without them. Before serving it installs the portal into .venv when
# pyproject.toml changed (with the postgres / redis extras that DATABASE_URL / REDIS_URL need;
# PORTAL_SKIP_INSTALL=1 skips this), runs migrate, collectstatic and check --deploy.
# SIGTERM, SIGINT (Ctrl-C) or SIGHUP stops every process it started and exits 0; when one of
# them ends by itself, the others are stopped and the script exits non-zero.
# README: "Run in production" and "Configuration".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_portal.sh

case "$(printf %s "${DEBUG:-False}" | tr -d '[:space:]' | tr '[:upper:]' '[:lower:]')" in
  1 | true | yes | on)
    portal_die "DEBUG=${DEBUG} is for development: the production server never runs with" \
      "DEBUG on. Unset DEBUG or set DEBUG=False (bash scripts/run-portal.sh is the demo)." ;;
esac
export DEBUG=False
[ -n "${SECRET_KEY:-}" ] || portal_die "SECRET_KEY is not set. Set it to a long random" \
  "value kept secret and stable across restarts, e.g. the output of" \
  "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
[ -n "${ALLOWED_HOSTS:-}" ] || portal_die "ALLOWED_HOSTS is not set: the host names the" \
  "portal answers to, comma-separated (e.g. ALLOWED_HOSTS=portal.example.com)."

BIND=${BIND:-127.0.0.1:${PORT:-8000}}
WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
QCLUSTER_PROCESSES=${QCLUSTER_PROCESSES:-1}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
for knob in WEB_CONCURRENCY QCLUSTER_PROCESSES STOP_TIMEOUT; do
  case "${!knob}" in
    '' | *[!0-9]*) portal_die "$knob must be a whole number, got '${!knob}'" ;;
  esac
done
[ "$WEB_CONCURRENCY" -ge 1 ] || portal_die "WEB_CONCURRENCY must be at least 1"

extras=""
case "${DATABASE_URL:-}" in postgres*) extras=postgres ;; esac
[ -z "${REDIS_URL:-}" ] || extras="$extras,redis"
portal_install "$extras"

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput
.venv/bin/python manage.py check --deploy

portal_traps
portal_start gunicorn .venv/bin/gunicorn diarization_portal.wsgi \
  --bind "$BIND" --workers "$WEB_CONCURRENCY" --graceful-timeout "$STOP_TIMEOUT" \
  --access-logfile - --control-socket "${VAR_DIR:-var}/gunicorn.ctl"
for ((i = 1; i <= QCLUSTER_PROCESSES; i++)); do
  portal_start "qcluster $i" .venv/bin/python manage.py qcluster
done
echo "Serving http://$BIND/ with $WEB_CONCURRENCY gunicorn workers and $QCLUSTER_PROCESSES" \
  "qcluster process(es) of ${Q_WORKERS:-2} workers (pid $$; SIGTERM or Ctrl-C stops them all)."
portal_supervise
