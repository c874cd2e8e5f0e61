"""Real recordings the emulated vendors answer with, read from ``tests/data/real`` (see its
README for sources and licences), so that imports have known members and messages.

* Symbl: the AMI meeting ES2002a as transcribed in QMSum (4 speakers, text, no times; times are
  made up from word counts: 0.32 s a word, 0.25 s between turns). The first 150 turns are the
  processed recording, the rest an appended one. ``{vocalsound}``-style annotations are removed.
* ElevenLabs speech-to-text: the 226 words of Deepgram's NASA spacewalk response (3 speakers,
  real times).
* ElevenLabs PVC separation: VoxConverse ``ngyrk`` (2 speakers, 22 turns).
* Phonexia: AMI ES2005a (4 speakers, 76 turns) as a two-channel call: FEE019 and MEE017 on
  channel 0, MEE018 and MEO020 on channel 1.
* DeepAffects: VoxConverse ``ezsgk`` (3 speakers, 52 turns, heavy overlap).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from tests.data import REAL

REAL_DATA = REAL
_ANNOTATION = re.compile(r"\{\w+\}")
SECONDS_PER_WORD, TURN_GAP = 0.32, 0.25


@dataclass(frozen=True)
class Turn:
    """One speaker turn: ``speaker`` label, ``start``/``end`` seconds, optional ``text``."""

    speaker: str
    start: float
    end: float
    text: str = ""


@dataclass(frozen=True)
class Word:
    """One recognised word: ``text``, ``start``/``end`` seconds, ``speaker`` (an int)."""

    text: str
    start: float
    end: float
    speaker: int


@dataclass(frozen=True)
class Recording:
    """A diarized recording: ``turns`` sorted by start, labels as in the source file."""

    name: str
    turns: tuple[Turn, ...]

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        return list(dict.fromkeys(t.speaker for t in self.turns))

    def only(self, speakers: set[str], name: str) -> Recording:
        """The turns of ``speakers`` only."""
        return Recording(name, tuple(t for t in self.turns if t.speaker in speakers))


def qmsum(path: Path, first: int = 0, last: int | None = None) -> Recording:
    """QMSum ``meeting_transcripts[first:last]`` with made-up times (see module docstring);
    turns left empty once annotations are removed are dropped."""
    data = json.loads(path.read_text())
    turns, clock = [], 0.0
    for item in data["meeting_transcripts"][first:last]:
        text = " ".join(_ANNOTATION.sub(" ", item["content"]).split())
        text = re.sub(r" ([.,?!])", r"\1", text)
        if not text:
            continue
        duration = max(0.6, round(SECONDS_PER_WORD * len(text.split()), 2))
        turns.append(Turn(item["speaker"], round(clock, 2), round(clock + duration, 2), text))
        clock += duration + TURN_GAP
    return Recording(path.stem, tuple(turns))


def rttm(path: Path) -> Recording:
    """``SPEAKER`` lines of an RTTM file (onset, duration → start, end), sorted by start."""
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        start, duration = float(fields[3]), float(fields[4])
        turns.append(Turn(fields[7], start, round(start + duration, 6)))
    turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    return Recording(path.stem, tuple(turns))


def deepgram_words(path: Path) -> tuple[Word, ...]:
    """The words of a Deepgram response (``punctuated_word`` text, speaker ints)."""
    data = json.loads(path.read_text())
    words = data["results"]["channels"][0]["alternatives"][0]["words"]
    return tuple(
        Word(w.get("punctuated_word") or w["word"], w["start"], w["end"], int(w["speaker"]))
        for w in words
    )


class Datasets:
    """The recordings of each vendor, read lazily from ``root`` (``tests/data/real``)."""

    def __init__(self, root: Path = REAL_DATA) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"real data not found at {root}")
        self.root = root

    @classmethod
    @cache
    def load(cls, root: Path = REAL_DATA) -> Datasets:
        """One shared instance per folder (the files are read once per test session)."""
        return cls(root)

    @cached_property
    def symbl_process(self) -> Recording:
        """Symbl: the first recording of a conversation (QMSum ES2002a turns 0-149)."""
        return qmsum(self.root / "transcripts" / "qmsum" / "ES2002a.json", 0, 150)

    @cached_property
    def symbl_append(self) -> Recording:
        """Symbl: a second recording appended to it (the remaining turns)."""
        return qmsum(self.root / "transcripts" / "qmsum" / "ES2002a.json", 150)

    @cached_property
    def stt_words(self) -> tuple[Word, ...]:
        """ElevenLabs speech-to-text: Deepgram's NASA spacewalk words."""
        return deepgram_words(self.root / "vendor" / "deepgram" / "dg_speakers.json")

    @cached_property
    def pvc(self) -> Recording:
        """ElevenLabs PVC separation: VoxConverse ngyrk."""
        return rttm(self.root / "rttm" / "voxconverse-dev" / "ngyrk.rttm")

    @cached_property
    def phonexia(self) -> dict[int, Recording]:
        """Phonexia: AMI ES2005a split into two channels (channel number → recording)."""
        call = rttm(self.root / "rttm" / "ami-only_words-train" / "ES2005a.rttm")
        return {
            0: call.only({"FEE019", "MEE017"}, "ES2005a-ch0"),
            1: call.only({"MEE018", "MEO020"}, "ES2005a-ch1"),
        }

    @cached_property
    def deepaffects(self) -> Recording:
        """DeepAffects: VoxConverse ezsgk."""
        return rttm(self.root / "rttm" / "voxconverse-dev" / "ezsgk.rttm")
