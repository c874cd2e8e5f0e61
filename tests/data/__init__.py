"""Data files the tests read. ``REAL``: real public diarization data (RTTM, transcripts,
vendor JSON) with its sources and licences in ``real/README.md`` and ``real/licenses/``."""

from pathlib import Path

REAL = Path(__file__).resolve().parent / "real"
