"""Normalised diarization data shared by every parser and vendor client.

All times are seconds from the start of the recording (floats). Speaker labels are the raw ids
the source used (``"spk00"``, ``"Speaker 1"``, a Symbl member UUID, ``"0"``); they are never
rewritten. A display name given by the source itself (a WebVTT voice tag, an SRT ``Name:``
prefix, a Symbl member named by a person) travels in :attr:`Speaker.name`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INSIGHT_TYPES = ("action_item", "question", "follow_up")


@dataclass(frozen=True, slots=True)
class Speaker:
    """One diarized speaker of a recording.

    ``label``: raw vendor/file id, unique per ``channel`` within one :class:`Transcript`.
    ``name``/``email``: what the source calls the speaker; ``None`` for anonymous labels
    (the portal then shows "Speaker N").
    """

    label: str
    channel: int = 0
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Utterance:
    """One speaker turn segment: who spoke from ``start`` to ``end`` (seconds).

    ``text`` is empty for diarization-only sources (RTTM, Phonexia, DeepAffects).
    ``external_id`` is the vendor's message id when the source has one, else ``None``.
    """

    speaker_label: str
    start: float
    end: float
    text: str = ""
    channel: int = 0
    external_id: str | None = None


@dataclass(frozen=True)
class InsightData:
    """An action item, question or follow-up (Symbl Conversation API insight shape).

    ``from_label``/``assignee_label`` are speaker labels of the same transcript or ``None``
    (Symbl sends ``{}`` when unknown). ``message_ids`` are utterance ``external_id`` values.
    """

    type: str
    text: str
    external_id: str | None = None
    score: float | None = None
    from_label: str | None = None
    assignee_label: str | None = None
    message_ids: tuple[str, ...] = ()
    phrases: list = field(default_factory=list)
    entities: list = field(default_factory=list)
    definitive: bool | None = None
    due_by: str | None = None


@dataclass
class Transcript:
    """A whole parsed recording.

    ``source``: format or vendor name (``"symbl"``, ``"rttm"``, ``"vtt"``, ``"srt"``...).
    ``global_speaker_ids``: True when labels identify members across recordings of one
    conversation (Symbl member UUIDs); False when a label only means something inside this
    file (RTTM ``spk00``), so that an appended file's speakers become new members.
    """

    source: str
    speakers: list[Speaker]
    utterances: list[Utterance]
    insights: list[InsightData] = field(default_factory=list)
    title: str | None = None
    language: str | None = None
    started_at: str | None = None
    global_speaker_ids: bool = False

    @property
    def has_text(self) -> bool:
        """True when at least one utterance carries text (False for diarization-only input)."""
        return any(u.text for u in self.utterances)


class ProviderError(Exception):
    """A vendor call failed.

    ``retryable``: True for 408, 429, 5xx, timeouts and connection errors.
    ``retry_after``: seconds to wait before retrying when the vendor said so, else ``None``.
    ``error_type``: short machine-readable kind (``"http_429"``, ``"timeout"``...).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        error_type: str = "provider_error",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.error_type = error_type
        self.status = status


class ParseError(ValueError):
    """A file or vendor body could not be parsed.

    ``location`` names where: ``"line 12"`` for line formats, a JSON path such as
    ``"messages[3].startTime"`` for JSON. ``str(err)`` reads ``"<source>: <location>: <reason>"``.
    """

    def __init__(self, reason: str, *, location: str | None = None, source: str | None = None):
        self.reason = reason
        self.location = location
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        return ": ".join(p for p in (self.source, self.location, self.reason) if p)

    def with_source(self, source: str) -> ParseError:
        """Return the same error naming ``source`` (usually a file name)."""
        return ParseError(self.reason, location=self.location, source=source)
