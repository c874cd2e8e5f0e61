#!/usr/bin/env bash
# Install the portal with its test extras into .venv, make sure Debian's Chromium is there for
# the browser tests, run ruff, then the whole test suite twice: on SQLite with the django-q2 ORM
# broker (the embedded default) and on PostgreSQL with the Redis broker (the production stack).
# Pytest arguments pass through. TEST_BACKENDS="sqlite" (or "postgres") runs one backend only;
# TEST_DATABASE_URL and TEST_REDIS_URL name the servers of the second run (this machine's own
# by default). Each run creates and drops its own database and Redis keys.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BACKENDS=${TEST_BACKENDS:-sqlite postgres}
POSTGRES_URL=${TEST_DATABASE_URL:-postgres://root@127.0.0.1:5432/test}
REDIS_URL_FOR_TESTS=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,postgres,redis]"
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
for backend in $BACKENDS; do
  case "$backend" in
    sqlite) env=(-u DATABASE_URL -u REDIS_URL) ;;
    postgres) env=(DATABASE_URL="$POSTGRES_URL" REDIS_URL="$REDIS_URL_FOR_TESTS") ;;
    *) echo "unknown backend in TEST_BACKENDS: $backend (sqlite, postgres)" >&2; exit 2 ;;
  esac
  echo "===== $backend: pytest $* ====="
  set +e
  env -u PORTAL_TEST_RUN_ID "${env[@]}" .venv/bin/python -m pytest "$@" \
    | tee "$results/$backend.log"
  code=${PIPESTATUS[0]}
  set -e
  echo "$code" > "$results/$backend.code"
  [ "$code" = 0 ] || status=1
done

echo "===== results ====="
for backend in $BACKENDS; do
  summary=$(grep -E '(passed|failed|errors?|skipped|deselected|no tests ran).* in [0-9.]+s' \
    "$results/$backend.log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
  printf '%-9s exit %s: %s\n' "$backend" "$(cat "$results/$backend.code")" "${summary:-no summary}"
done
exit "$status"
