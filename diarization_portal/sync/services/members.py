"""Pushing speaker edits back to the vendor (DESIGN §3, §4): Symbl members, PVC selection."""

from __future__ import annotations

from django.db import transaction

from diarization_portal.conversations.models import EditOp, Job, Member, SpeakerEdit, SyncState
from providers.types import ProviderError

from .. import vendors
from ..clients import client_for
from ._queue import enqueue
from .jobs import RetryRefused, _as_error

PUSH_OPS = frozenset({EditOp.RENAME, EditOp.MERGE})


def members_changed(*, edit: SpeakerEdit) -> None:
    """After a rename or merge (or its undo) recorded by the speaker services (through
    :func:`speaker_edit_recorded_receiver`), mark the changed members that exist at a vendor
    (``sync_state`` not ``local``) ``pending`` and enqueue their push after commit. One query
    for members that are local only. Runs inside the calling service's transaction (they are
    all atomic)."""
    if edit.op not in PUSH_OPS:
        return
    ids = list(
        Member.objects.filter(pk__in=edit.member_ids())
        .exclude(sync_state=SyncState.LOCAL)
        .values_list("pk", flat=True)
    )
    if not ids:
        return
    Member.objects.filter(pk__in=ids).update(sync_state=SyncState.PENDING, sync_error="")
    for pk in sorted(ids):
        enqueue("push_member", pk)


def speaker_edit_recorded_receiver(sender, *, edit: SpeakerEdit, **kwargs) -> None:
    """Receiver of ``conversations.signals.speaker_edit_recorded`` (connected in
    ``SyncConfig.ready``): :func:`members_changed` for ``edit``."""
    members_changed(edit=edit)


def member_push(*, member_id: int) -> Member:
    """Push a pending member to the vendor of its conversation (:func:`vendors.push`:
    Symbl members PUT, ElevenLabs PVC selected speakers), then ``pending → synced``, or
    ``failed`` with the vendor's reason in ``sync_error``. Only the member's sync fields
    change; ``synced`` is set only if the member was not edited again meanwhile.

    Two pushes of one member may run side by side (an edit each, in two workers), and the
    older one may reach the vendor last. So a push that finds the member edited since it
    read it (answered or failed: a request that timed out may still have arrived) marks it
    ``pending`` again and pushes its current values once more, after commit.

    Not a transaction, on purpose (no lock is held while the vendor is called): each of its
    writes after the call is one conditional UPDATE or one small atomic step."""
    member = Member.objects.get(pk=member_id)
    if member.sync_state in (SyncState.LOCAL, SyncState.SYNCED):
        return member
    sent = {"name": member.name, "email": member.email, "merged_into_id": member.merged_into_id}
    job = (
        Job.objects.filter(conversation_id=member.conversation_id, account__isnull=False)
        .select_related("account", "conversation")
        .order_by("-pk")
        .first()
    )
    try:
        if job is None:
            raise ProviderError(
                "no provider account for this conversation", error_type="no_account"
            )
        vendors.push(member, job, client_for(job.account))
    except (ProviderError, ValueError, TypeError) as err:
        if not _push_again_if_edited(member.pk, sent):
            Member.objects.filter(pk=member.pk, sync_state=SyncState.PENDING).update(
                sync_state=SyncState.FAILED, sync_error=str(_as_error(err))[:2000]
            )
        return Member.objects.get(pk=member.pk)
    # The vendor holds the member's current values: synced, even if an older push of the
    # same member failed meanwhile.
    synced = Member.objects.filter(
        pk=member.pk, sync_state__in=[SyncState.PENDING, SyncState.FAILED], **sent
    ).update(sync_state=SyncState.SYNCED, sync_error="")
    if not synced:
        _push_again_if_edited(member.pk, sent)
    return Member.objects.get(pk=member.pk)


@transaction.atomic
def _push_again_if_edited(member_id: int, sent: dict) -> bool:
    """When the member no longer has the ``sent`` values (it was edited while they were on
    their way), mark it ``pending`` and enqueue its push after commit: the push of the newer
    edit may have reached the vendor before this older one. Returns True when it did."""
    edited = (
        Member.objects.filter(pk=member_id)
        .exclude(sync_state=SyncState.LOCAL)
        .exclude(**sent)
        .update(sync_state=SyncState.PENDING, sync_error="")
    )
    if edited:
        enqueue("push_member", member_id)
    return bool(edited)


@transaction.atomic
def member_push_retry(*, member_id: int) -> Member:
    """Push a member whose last push ``failed`` again (the dashboard's Retry): ``failed →
    pending`` with ``sync_error`` cleared, and ``push_member`` enqueued after commit.
    Raises :class:`RetryRefused` when the member is not ``failed`` (local, pending or
    synced: nothing to retry)."""
    moved = Member.objects.filter(pk=member_id, sync_state=SyncState.FAILED).update(
        sync_state=SyncState.PENDING, sync_error=""
    )
    if not moved:
        state = Member.objects.filter(pk=member_id).values_list("sync_state", flat=True).first()
        raise RetryRefused(f"only a failed push can be retried; this speaker is {state}")
    enqueue("push_member", member_id)
    return Member.objects.get(pk=member_id)
