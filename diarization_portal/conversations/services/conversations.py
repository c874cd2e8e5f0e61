"""Conversation-wide writes."""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from ..models import Conversation, Insight, Job, Member, Message


@transaction.atomic
def conversation_delete(*, conversation: Conversation) -> dict[str, int]:
    """Delete ``conversation`` for good with its members, messages, insights, jobs and edit
    history (Symbl's ``DELETE /v1/conversations/{id}``, vendor-apis.md §1.5: permanent,
    cascades). Uploaded media of its jobs is removed from storage after the commit. The copy
    at the vendor, if any, is left alone.

    Messages and insights protect the members they point to, so they go first, and merged
    members are unlinked before the members themselves are deleted.
    Returns the number of rows deleted per model label, e.g. ``{"conversations.Message": 120}``.

    The conversation row is locked first, so an import into it (which locks it too) either
    committed before the media and rows are read or waits for the delete.
    """
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    media = [
        (job.media.storage, job.media.name)
        for job in Job.objects.filter(conversation=conversation).exclude(media="").only("media")
    ]
    deleted: Counter[str] = Counter()
    for rows in (
        Insight.objects.filter(conversation=conversation),
        Message.objects.filter(conversation=conversation),
    ):
        deleted.update(rows.delete()[1])
    Member.objects.filter(conversation=conversation, merged_into__isnull=False).update(
        merged_into=None
    )
    deleted.update(Conversation.objects.filter(pk=conversation.pk).delete()[1])

    def remove_media() -> None:
        for storage, name in media:
            storage.delete(name)

    if media:
        transaction.on_commit(remove_media)
    return dict(deleted)
