"""Build what the conversation page shows, in a fixed number of queries.

Member names come from one query of live members; messages, insights and edits carry only
member ids, which are resolved in Python, so neither the query count nor the SQL grows with
the number of messages on a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    InsightType,
    Member,
    Message,
    ShareLevel,
    blocked_by,
)
from diarization_portal.conversations.services.duplicates import duplicate_candidates

from .presenters_sync import POLL_SECONDS, merged_unsynced, sync_context

PAGE_SIZE = 250
INSIGHTS_SHOWN = 200
HISTORY_SHOWN = 50


@dataclass
class Turn:
    """Consecutive messages of one member: ``start``/``end`` in seconds."""

    member: Member
    start: float
    end: float
    messages: list[Message] = field(default_factory=list)


def group_into_turns(messages: list[Message], members: dict[int, Member]) -> list[Turn]:
    """Group time-ordered ``messages`` into speaker turns (a new turn when the member changes)."""
    turns: list[Turn] = []
    for message in messages:
        member = members[message.member_id]
        if turns and turns[-1].member.pk == member.pk:
            turn = turns[-1]
            turn.end = max(turn.end, message.end)
        else:
            turn = Turn(member=member, start=message.start, end=message.end)
            turns.append(turn)
        turn.messages.append(message)
    return turns


def _history(conversation: Conversation) -> list:
    edits = list(conversation.speaker_edits.select_related("user", "undone_by")[:HISTORY_SHOWN])
    blocked = blocked_by(edits, edits)  # every later edit of a shown one is shown too
    for edit in edits:
        edit.blocked = edit.pk in blocked
    return edits


def speakers_panel_context(conversation: Conversation, membership) -> dict:
    """What the speakers panel shows on the page and alone: ``members`` (live, in order, each
    with ``talk_time`` in seconds and ``share`` in percent of ``total_talk``), ``total_talk``
    (seconds), the conversation, its workspace, ``membership`` and ``can_edit``. One query."""
    members = list(conversation.members.live().with_talk().order_by("position", "pk"))
    total_talk = sum(m.talk_time for m in members) or 0.0
    for m in members:
        m.share = 100.0 * m.talk_time / total_talk if total_talk else 0.0
    return {
        "conversation": conversation,
        "membership": membership,
        "workspace": conversation.workspace,
        "can_edit": membership.can_edit,
        "members": members,
        "total_talk": total_talk,
    }


def speakers_context(conversation: Conversation, membership, *, page: int = 1) -> dict:
    """Context of ``_speakers.html`` alone (the panel refreshes itself while pushes are
    pending): :func:`speakers_panel_context`, the transcript page ``page`` its forms return
    to, and the merged members whose push is pending or failed. Two queries."""
    return {
        **speakers_panel_context(conversation, membership),
        "page_obj": {"number": page},
        "merged_unsynced": merged_unsynced(conversation),
        "poll_seconds": POLL_SECONDS,
    }


def conversation_context(conversation: Conversation, membership, *, page: int = 1) -> dict:
    """Template context of the conversation page for transcript page ``page`` (1-based)."""
    panel = speakers_panel_context(conversation, membership)
    members = panel["members"]
    by_pk = {m.pk: m for m in members}
    paginator = Paginator(
        Message.objects.filter(conversation=conversation)
        .only("pk", "member_id", "text", "start", "end")
        .order_by("start", "pk"),
        PAGE_SIZE,
    )
    page_obj = paginator.get_page(page)
    type_order = Case(
        *[When(type=t, then=Value(i)) for i, t in enumerate(InsightType.values)],
        output_field=IntegerField(),
    )
    insights_qs = Insight.objects.filter(conversation=conversation)
    insights = list(
        insights_qs.only(
            "pk", "type", "text", "score", "from_member_id", "assignee_id", "due_by"
        ).order_by(type_order, "pk")[:INSIGHTS_SHOWN]
    )
    for insight in insights:
        insight.frm = by_pk.get(insight.from_member_id)
        insight.to = by_pk.get(insight.assignee_id)
    insight_count = insights_qs.count()
    return {
        **panel,
        "page_obj": page_obj,
        "turns": group_into_turns(list(page_obj.object_list), by_pk),
        "message_count": paginator.count,
        "insights": insights,
        "insight_count": insight_count,
        "history": _history(conversation),
        **sync_context(conversation),
        # Merge suggestions for those who can merge (three queries, see services.duplicates).
        "duplicates": (
            duplicate_candidates(conversation=conversation, members=members)
            if membership.can_edit
            else []
        ),
    }


def share_links_context(conversation: Conversation) -> dict:
    """The share panel of the conversation page (editors and admins): the conversation's active
    share links with who created them (one query, whatever their number) and the levels a new
    link can have."""
    return {
        "share_links": list(conversation.share_links.active().select_related("created_by")),
        "share_levels": ShareLevel.choices,
    }
