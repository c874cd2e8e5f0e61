"""The apps' floors: ``conversations`` (the domain) imports none of the apps built on it
(``sync``, ``api``, ``dashboard``); they reach it, it never reaches them. It tells them of a
speaker edit with a signal (``conversations.signals.speaker_edit_recorded``)."""

from __future__ import annotations

import ast
from pathlib import Path

import diarization_portal.conversations as conversations

HIGHER = ("diarization_portal.sync", "diarization_portal.api", "diarization_portal.dashboard")
ROOT = Path(conversations.__file__).parent


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT.parent.parent).with_suffix("").parts
    return ".".join(parts if parts[-1] != "__init__" else parts[:-1])


def _imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every import in ``source`` (the text of ``module``),
    relative ones resolved, those inside functions included; ``from x import y`` gives both
    ``x`` and ``x.y`` (``y`` may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def _lower_floor_breaches(name: str) -> bool:
    return name == "diarization_portal" or any(
        name == floor or name.startswith(floor + ".") for floor in HIGHER
    )


def test_conversations_imports_no_higher_floor():
    files = sorted(ROOT.rglob("*.py"))
    assert len(files) > 20  # the walk found the app's modules
    wrong = [
        f"{path.relative_to(ROOT.parent.parent)}:{line} imports {name}"
        for path in files
        for line, name in _imports(path.read_text(), _package(path), path.name == "__init__.py")
        if _lower_floor_breaches(name)
    ]
    assert wrong == []


def test_the_walk_finds_every_form_of_import():
    """What the floor test would catch, inside ``conversations.services.speakers``."""
    source = (
        "from ...sync.services import members_changed\n"
        "from .. import models\n"
        "def f():\n"
        "    import diarization_portal.api.views\n"
        "    from diarization_portal import dashboard\n"
    )
    names = [n for _, n in _imports(source, "diarization_portal.conversations.services.speakers")]
    assert [n for n in names if _lower_floor_breaches(n)] == [
        "diarization_portal.sync.services",
        "diarization_portal.sync.services.members_changed",
        "diarization_portal.api.views",
        "diarization_portal",
        "diarization_portal.dashboard",
    ]
    assert "diarization_portal.conversations.models" in names
