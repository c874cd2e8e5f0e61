"""``portal_install`` (``scripts/_portal.sh``): pip runs only when ``pyproject.toml`` changed or
extras are missing since the last install, as the stamp in ``.venv`` records. Run in a
folder of its own with a ``.venv/bin/python`` that logs pip calls instead of installing."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest

from tests.processes import REPO

FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  shift 2
  echo "pip $*" >> pip.log
  exit 0
fi
exec {python} "$@"
"""


@pytest.fixture
def checkout(tmp_path):
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON.format(python=sys.executable))
    python.chmod(0o755)
    return tmp_path


def install(checkout, extras: str, **env) -> tuple[list[str], str]:
    """Run ``portal_install EXTRAS``; the pip calls it made, and its output."""
    log = checkout / "pip.log"
    log.unlink(missing_ok=True)
    result = subprocess.run(
        ["bash", "-c", f'source "{REPO}/scripts/_portal.sh"; portal_install "$1"', "_", extras],
        cwd=checkout,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    return calls, result.stdout


def stamp(checkout) -> str:
    return (checkout / ".venv" / ".portal-install").read_text().strip()


def test_installs_once_then_only_when_needed(checkout):
    digest = hashlib.sha256((checkout / "pyproject.toml").read_bytes()).hexdigest()

    calls, _ = install(checkout, "")
    assert calls == ["pip install --quiet --upgrade pip", "pip install --quiet -e ."]
    assert stamp(checkout) == digest

    calls, out = install(checkout, "")
    assert calls == []
    assert "pyproject.toml unchanged" in out

    calls, _ = install(checkout, "postgres,")
    assert calls[-1] == "pip install --quiet -e .[postgres]"
    assert stamp(checkout) == f"{digest} postgres"
    assert install(checkout, "")[0] == []  # fewer extras than installed: nothing to do

    with (checkout / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# changed\n")
    calls, _ = install(checkout, "redis")
    assert calls[-1] == "pip install --quiet -e .[postgres,redis]"  # the extras it had, too
    assert stamp(checkout).endswith(" postgres,redis")
    assert install(checkout, "redis,postgres")[0] == []


def test_skip_install(checkout):
    assert install(checkout, "postgres", PORTAL_SKIP_INSTALL="1") == ([], "")
    shutil.rmtree(checkout / ".venv")
    result = subprocess.run(
        ["bash", "-c", f'source "{REPO}/scripts/_portal.sh"; portal_install ""'],
        cwd=checkout,
        env={"PATH": "/usr/bin:/bin", "PORTAL_SKIP_INSTALL": "1"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "PORTAL_SKIP_INSTALL=1 but .venv/bin/python is missing" in result.stderr
