"""Build workspaces, users and conversations of any size for tests and benchmarks."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    InsightType,
    Member,
    Message,
)
from diarization_portal.workspaces.models import Membership, Role, Workspace

_seq = itertools.count(1)


def workspace(name: str | None = None) -> Workspace:
    n = next(_seq)
    return Workspace.objects.create(name=name or f"Team {n}", slug=f"team-{n}")


def user(ws: Workspace | None = None, role: str = Role.EDITOR, username: str | None = None):
    n = next(_seq)
    u = get_user_model().objects.create_user(username or f"user{n}", password="pw-test-123")
    if ws is not None:
        Membership.objects.create(user=u, workspace=ws, role=role)
    return u


def conversation(
    ws: Workspace,
    *,
    members: int = 3,
    messages: int = 10,
    insights: int = 0,
    title: str = "Generated",
    batch: int = 5000,
) -> Conversation:
    """A conversation with ``members`` speakers taking turns over ``messages`` 2-second
    messages, and ``insights`` insights (each tied to one message, from its speaker and
    assigned to the next speaker)."""
    conv = Conversation.objects.create(workspace=ws, title=title)
    people = Member.objects.bulk_create(
        Member(conversation=conv, name=f"Speaker {i + 1}", vendor_label=f"spk{i}", position=i)
        for i in range(members)
    )
    rows = [
        Message(
            conversation=conv,
            external_id=f"m{i}",
            member=people[(i // 3) % members],
            diarized_member=people[(i // 3) % members],
            text=f"utterance number {i}",
            start=2.0 * i,
            end=2.0 * i + 1.8,
        )
        for i in range(messages)
    ]
    Message.objects.bulk_create(rows, batch_size=batch)
    if insights:
        kinds = InsightType.values
        items = [
            Insight(
                conversation=conv,
                external_id=f"i{j}",
                type=kinds[j % 3],
                text=f"insight {j}",
                from_member=rows[j % messages].member,
                assignee=people[(people.index(rows[j % messages].member) + 1) % members],
            )
            for j in range(insights)
        ]
        Insight.objects.bulk_create(items, batch_size=batch)
        through = Insight.messages.through
        through.objects.bulk_create(
            [
                through(insight_id=it.pk, message_id=rows[j % messages].pk)
                for j, it in enumerate(items)
            ],
            batch_size=batch,
        )
    return conv
