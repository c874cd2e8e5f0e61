"""Symbl conversations, members, messages, insights and jobs as the emulator keeps them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .datasets import Recording
from .progress import Progress

_NAMESPACE = uuid.UUID("0b7a7c1e-3c1d-4d0e-9a58-7f1e2d3c4b5a")
_COMMITMENT = re.compile(r"\b(I'll|we should|we need to|we'll have to|gonna have to)\b", re.I)


@dataclass
class Member:
    """A conversation member: UUID ``id``, ``name``, optional ``email``, and the speaker
    label of the recording it was diarized from (``source``, for tests)."""

    id: str
    name: str
    email: str = ""
    source: str = ""

    def person(self) -> dict:
        """The member as Symbl shows it in ``from``/``assignee``/``members``."""
        return {"id": self.id, "name": self.name, **({"email": self.email} if self.email else {})}


@dataclass
class Message:
    """One message: numeric-string ``id``, speaker ``member_id``, ``offset``/``duration`` s."""

    id: str
    member_id: str
    text: str
    offset: float
    duration: float
    job_id: str


@dataclass
class Insight:
    """A question or action item; ``assignee_id`` only for action items."""

    id: str
    type: str
    text: str
    message_ids: list[str]
    from_id: str
    assignee_id: str | None = None


@dataclass
class Conversation:
    """A Symbl conversation and what its completed jobs brought."""

    id: str
    name: str
    started: datetime
    members: dict[str, Member] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    insights: list[Insight] = field(default_factory=list)
    deleted: bool = False

    def message_ids(self) -> list[str]:
        """Ids of every message, in time order."""
        return [m.id for m in self.messages]

    def end(self) -> float:
        """Seconds from the start to the end of the last message (0 when empty)."""
        return max((m.offset + m.duration for m in self.messages), default=0.0)

    def iso(self, offset: float) -> str:
        """ISO 8601 UTC time ``offset`` seconds after the start, with milliseconds and Z."""
        moment = self.started + timedelta(seconds=offset)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(eq=False)
class Job:
    """One Async API job; ``options`` holds the query string and JSON body options seen."""

    id: str
    conversation_id: str
    kind: str
    progress: Progress
    recording: Recording
    options: dict
    webhook_url: str | None = None


def materialise(conversation: Conversation, job: Job, ids: Iterator[int]) -> None:
    """Add what ``job``'s recording brings to ``conversation``: one new member "Speaker N"
    per speaker, its turns as messages after the conversation's end (1 s apart), and the
    questions and action items among them. ``ids`` numbers messages and insights."""
    members = {}
    for label in job.recording.speakers:
        member_id = str(uuid.uuid5(_NAMESPACE, f"{conversation.id}:{job.id}:{label}"))
        member = Member(member_id, f"Speaker {len(conversation.members) + 1}", source=label)
        conversation.members[member_id] = members[label] = member
    base = conversation.end() + (1.0 if conversation.messages else 0.0)
    for turn in job.recording.turns:
        message = Message(
            id=str(next(ids)),
            member_id=members[turn.speaker].id,
            text=turn.text,
            offset=round(base + turn.start, 2),
            duration=round(turn.end - turn.start, 2),
            job_id=job.id,
        )
        conversation.messages.append(message)
        text = turn.text.strip()
        kind = "question" if text.endswith("?") else None
        if kind is None and _COMMITMENT.search(text):
            kind = "action_item"
        if kind is not None:
            conversation.insights.append(
                Insight(
                    id=str(next(ids)),
                    type=kind,
                    text=text,
                    message_ids=[message.id],
                    from_id=message.member_id,
                    assignee_id=message.member_id if kind == "action_item" else None,
                )
            )


def insight_json(conversation: Conversation, insight: Insight) -> dict:
    """The insight as the Conversation API shows it (1.5)."""
    item = {
        "id": insight.id,
        "text": insight.text,
        "type": insight.type,
        "score": 0.9,
        "messageIds": insight.message_ids,
        "from": conversation.members[insight.from_id].person(),
    }
    if insight.type == "action_item":
        assignee = conversation.members[insight.assignee_id].person()
        item.update(entities=[], phrases=[], definitive=True, assignee=assignee)
    return item
