# Shell functions of scripts/run-portal.sh and scripts/run-production.sh (sourced from the
# repository's root, not run).
#
# portal_install EXTRAS   install the portal into .venv, only when needed
# portal_start NAME CMD…  start CMD in the background, in a process group of its own
# portal_supervise        wait for SIGTERM, SIGINT (Ctrl-C) or SIGHUP, or for a process to end;
#                         then stop every process started and exit

PORTAL_STAMP=.venv/.portal-install

portal_die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# Comma-separated, sorted, without blanks or repeats: "redis,,postgres" -> "postgres,redis".
_portal_extras() {
  printf '%s\n' "$@" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -
}

# portal_install EXTRAS: create .venv with $PYTHON (python3) when missing, then install the
# portal (editable) with EXTRAS ("" or e.g. "postgres,redis") — unless the stamp file
# .venv/.portal-install says the last install was of this very pyproject.toml with at least
# these extras. The stamp holds the file's SHA-256 and the extras installed. Code changes
# need no install (the install is editable); a changed pyproject.toml does.
# PORTAL_SKIP_INSTALL=1 skips the step (the .venv must exist).
portal_install() {
  local wanted have_hash="" have_extras="" hash extras
  if [ "${PORTAL_SKIP_INSTALL:-}" = 1 ]; then
    [ -x .venv/bin/python ] || portal_die "PORTAL_SKIP_INSTALL=1 but .venv/bin/python is missing"
    return 0
  fi
  [ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
  wanted=$(_portal_extras "$1")
  hash=$(.venv/bin/python -c \
    'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')
  if [ -f "$PORTAL_STAMP" ]; then
    read -r have_hash have_extras < "$PORTAL_STAMP" || true
  fi
  if [ "$have_hash" = "$hash" ]; then
    extras=$(_portal_extras "$have_extras" "$wanted")
    if [ "$extras" = "$(_portal_extras "$have_extras")" ]; then
      echo "The portal is installed in .venv (pyproject.toml unchanged${extras:+, extras $extras})."
      return 0
    fi
  else
    extras=$(_portal_extras "$have_extras" "$wanted")
  fi
  echo "Installing the portal into .venv${extras:+ with extras $extras}…"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  printf '%s %s\n' "$hash" "$extras" > "$PORTAL_STAMP"
}

PORTAL_PIDS=()
PORTAL_NAMES=()
PORTAL_SIGNAL=""

# portal_start NAME COMMAND [ARGS…]: run COMMAND in the background with stdin from /dev/null,
# as the leader of a process group of its own (job control on for this one start), so that
# stopping it reaches every process it forks (gunicorn's workers, a qcluster's sentinel and
# workers, runserver's reloaded child).
portal_start() {
  local name=$1
  shift
  set -m
  "$@" < /dev/null &
  set +m
  PORTAL_PIDS+=("$!")
  PORTAL_NAMES+=("$name")
}

# Whether any process of the given groups is still there (0: yes).
_portal_any_group() {
  local pid
  for pid in "${PORTAL_PIDS[@]}"; do
    kill -0 -- "-$pid" 2> /dev/null && return 0
  done
  return 1
}

_portal_any_leader() {
  local pid
  for pid in "${PORTAL_PIDS[@]}"; do
    kill -0 "$pid" 2> /dev/null && return 0
  done
  return 1
}

# _portal_until CHECK SECONDS: wait until CHECK fails or SECONDS pass.
_portal_until() {
  local check=$1 deadline=$((SECONDS + $2))
  while "$check" && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
  done
}

# portal_stop_all: SIGTERM to each leader (gunicorn's master and each qcluster stop their
# workers gracefully); after STOP_TIMEOUT seconds (default 30), or as soon as the leaders are
# gone, SIGTERM to whatever is left in their groups, and SIGKILL 5 s later.
portal_stop_all() {
  local pid
  trap '' TERM INT HUP
  for pid in "${PORTAL_PIDS[@]}"; do
    kill -TERM "$pid" 2> /dev/null || true
  done
  _portal_until _portal_any_leader "${STOP_TIMEOUT:-30}"
  for pid in "${PORTAL_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2> /dev/null || true
  done
  _portal_until _portal_any_group 5
  for pid in "${PORTAL_PIDS[@]}"; do
    kill -KILL -- "-$pid" 2> /dev/null || true
  done
  wait 2> /dev/null || true
}

# portal_traps: from now on SIGTERM, SIGINT and SIGHUP only mark that the script should stop
# (call it before the first portal_start).
portal_traps() {
  trap 'PORTAL_SIGNAL=TERM' TERM
  trap 'PORTAL_SIGNAL=INT' INT
  trap 'PORTAL_SIGNAL=HUP' HUP
}

# portal_supervise: wait for a signal or for a started process to end, stop them all, exit:
# 0 after SIGTERM, SIGINT or SIGHUP; the code of the process that ended by itself otherwise
# (1 if that was 0: a server must not end on its own).
portal_supervise() {
  local i ended="" code sleeper
  while [ -z "$PORTAL_SIGNAL" ] && [ -z "$ended" ]; do
    for i in "${!PORTAL_NAMES[@]}"; do
      if ! kill -0 "${PORTAL_PIDS[$i]}" 2> /dev/null; then
        ended=$i
        break
      fi
    done
    if [ -z "$ended" ]; then
      sleep 1 &
      sleeper=$!
      wait "$sleeper" 2> /dev/null || true # returns at once when a signal comes
      kill "$sleeper" 2> /dev/null || true
    fi
  done
  if [ -n "$PORTAL_SIGNAL" ]; then
    echo "Got SIG$PORTAL_SIGNAL: stopping ${PORTAL_NAMES[*]}…" >&2
    portal_stop_all
    echo "Stopped." >&2
    exit 0
  fi
  code=0
  wait "${PORTAL_PIDS[$ended]}" 2> /dev/null || code=$?
  echo "${PORTAL_NAMES[$ended]} ended (exit code $code): stopping the others…" >&2
  portal_stop_all
  [ "$code" != 0 ] || code=1
  exit "$code"
}
