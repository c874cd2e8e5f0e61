"""ElevenLabs Professional Voice Cloning: which separated speakers to keep (vendor-apis.md
2.1, 2.5).

The choice lives on the live members (``Member.pvc_selected``); the separated speakers
merged into a member follow it. Saving a choice marks the separated speakers whose kept
state changed ``pending`` and enqueues their push after commit; each push sends the full
``selected_speaker_ids`` list (:func:`~diarization_portal.sync.vendors.pvc_labels`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, Q, When

from diarization_portal.conversations.models import Conversation, Job, Member, SyncState, Vendor

from .. import vendors
from ._queue import enqueue


class PvcSelectionError(ValueError):
    """The chosen speakers cannot be saved as asked; ``str(err)`` says why."""


def pvc_job_for(conversation: Conversation) -> Job | None:
    """The latest ElevenLabs PVC job of ``conversation`` (``options["product"] == "pvc"``,
    account loaded; ``job.account`` is ``None`` when the account was deleted since), or
    ``None`` when the conversation is not a PVC one."""
    return (
        Job.objects.filter(conversation=conversation, options__product="pvc")
        .filter(Q(account__vendor=Vendor.ELEVENLABS) | Q(account__isnull=True))
        .select_related("account")
        .order_by("-pk")
        .first()
    )


def _kept(tracks: list[Member], by_pk: dict[int, Member]) -> dict[int, bool]:
    return {t.pk: t.survivor_among(by_pk).pvc_selected for t in tracks}


@transaction.atomic
def pvc_selection_save(*, job: Job, keep: Iterable[int]) -> list[str]:
    """Keep the separated speakers of PVC ``job`` whose live member is in ``keep`` (member
    primary keys) and drop the others; push the new full selection after commit.

    Every separated speaker whose kept state changed, and every one whose last push failed,
    is marked ``pending`` and gets a ``push_member`` task. Returns the ``speaker_id`` list
    now selected. Raises :class:`PvcSelectionError` when ``keep`` is empty or names a
    member that does not stand for a separated speaker of ``job``.
    """
    keep = set(keep)
    by_pk = {
        m.pk: m
        for m in Member.objects.select_for_update()
        .filter(conversation_id=job.conversation_id)
        .order_by("pk")
    }
    # The tracks as locked: a push that failed or a merge that committed before the lock
    # is seen.
    tracks = [by_pk[t.pk] for t in vendors.pvc_tracks(job) if t.pk in by_pk]
    roots = {t.survivor_among(by_pk).pk for t in tracks}
    if not keep:
        raise PvcSelectionError("keep at least one speaker: a voice needs some audio")
    unknown = sorted(keep - roots)
    if unknown:
        raise PvcSelectionError(f"member {unknown[0]} is not a separated speaker of this sample")
    before = _kept(tracks, by_pk)
    Member.objects.filter(pk__in=roots).update(
        pvc_selected=Case(When(pk__in=keep, then=True), default=False)
    )
    for pk in roots:
        by_pk[pk].pvc_selected = pk in keep
    after = _kept(tracks, by_pk)
    push = [t.pk for t in tracks if before[t.pk] != after[t.pk] or t.sync_state == SyncState.FAILED]
    if push:
        Member.objects.filter(pk__in=push).update(sync_state=SyncState.PENDING, sync_error="")
        for pk in push:
            enqueue("push_member", pk)
    return [t.vendor_label for t in tracks if after[t.pk]]
