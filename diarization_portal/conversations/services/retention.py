"""Retention: delete what a workspace's privacy policy says is too old (Workspace fields
modelled on the ``privacy`` block of an ElevenLabs Speech Engine, vendor-apis.md 2.3).

What is deleted, once a conversation is older than ``retention_days`` (counted from its
``created_at``; without ``apply_to_existing_conversations`` only conversations created from
``retention_policy_since`` on count):

* ``delete_audio``: every recording the portal stores for the conversation, i.e. the uploaded
  file of each of its jobs (``Job.media``: the file is removed from storage after the commit
  and the field emptied). Recordings given as a ``source_url`` live elsewhere and ElevenLabs
  PVC speaker audio is streamed from the vendor, never stored. The transcript stays.
* ``delete_transcript_and_pii``: the whole conversation (``conversation_delete``): its messages
  (the transcript), insights, members (speaker names and emails), speaker edits (which record
  old and new names), duplicate dismissals, jobs with their raw vendor results and recordings.
  Diarization segments without text are deleted too: a conversation shell would still carry
  its title, which may name people.

Each deletion is one transaction per conversation (its jobs, then the conversation, are locked
before anything is read, the order the import follows), records a
:class:`~diarization_portal.workspaces.models.RetentionDeletion` audit row (ids, dates,
counts; no text) and adds its counts to the workspace's
:class:`~diarization_portal.workspaces.models.RetentionRun`. A conversation with a job still
running (queued, submitted, processing, importing) is skipped until the job ends. Running the
task again deletes nothing more: deleted conversations are gone, and audio-only deletion only
looks at jobs that still have a file.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from diarization_portal.workspaces.models import (
    RetentionAction,
    RetentionDeletion,
    RetentionRun,
    Workspace,
)

from ..models import Conversation, Job, JobState
from .conversations import conversation_delete

logger = logging.getLogger(__name__)

#: Job states of a job still at work: its conversation is not deleted under it.
RUNNING = (JobState.QUEUED, JobState.SUBMITTED, JobState.PROCESSING, JobState.IMPORTING)


@dataclass
class RetentionReport:
    """What one workspace's retention run deleted (or, with ``dry_run``, would delete).

    ``conversations``: ``[(conversation id, action)]`` with action ``"audio"`` or
    ``"conversation"``; ``counts``: totals per kind (``conversations``, ``audio_files``,
    ``messages``, ``insights``, ``members``); ``skipped``: ids of due conversations left alone
    because a job is running; ``run_id``: the stored :class:`RetentionRun` (``None`` for a dry
    run or when nothing was due).
    """

    workspace_id: int
    workspace_slug: str
    cutoff: datetime | None
    dry_run: bool = False
    conversations: list[tuple[int, str]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    skipped: list[int] = field(default_factory=list)
    run_id: int | None = None

    def summary(self) -> str:
        """One line for logs and the command, e.g. ``team-1: deleted 2 conversations, 1
        audio file, 30 messages, 4 insights, 6 members; skipped 0``."""
        verb = "would delete" if self.dry_run else "deleted"
        parts = ", ".join(
            f"{self.counts[k]} {k.replace('_', ' ')}"
            for k in ("conversations", "audio_files", "messages", "insights", "members")
        )
        return f"{self.workspace_slug}: {verb} {parts}; skipped {len(self.skipped)}"


def conversations_past_retention(
    workspace: Workspace, *, cutoff: datetime
) -> QuerySet[Conversation]:
    """The workspace's conversations the retention policy applies to and that are older than
    ``cutoff``, oldest first, with something left to delete: every one when
    ``delete_transcript_and_pii``, else those with a stored recording. One query."""
    rows = Conversation.objects.filter(workspace=workspace, created_at__lt=cutoff)
    if not workspace.apply_to_existing_conversations and workspace.retention_policy_since:
        rows = rows.filter(created_at__gte=workspace.retention_policy_since)
    if not workspace.delete_transcript_and_pii:
        with_media = Job.objects.filter(conversation=OuterRef("pk")).exclude(media="")
        rows = rows.filter(Exists(with_media))
    return rows.order_by("created_at", "pk")


def conversations_due(
    workspace: Workspace, *, within_days: int, now: datetime | None = None
) -> QuerySet[Conversation]:
    """Conversations the retention task will delete from within the next ``within_days``
    days (those already overdue included); each is due at ``created_at + retention_days``.
    Empty when the policy deletes nothing. One query."""
    cutoff = workspace.retention_cutoff((now or timezone.now()) + timedelta(days=within_days))
    if cutoff is None:
        return Conversation.objects.none()
    return conversations_past_retention(workspace, cutoff=cutoff)


def retention_enforce(
    *, workspace: Workspace, now: datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    """Delete what ``workspace``'s policy says is past retention (module docstring) and
    return the :class:`RetentionReport`; only ``workspace``'s rows and files are touched.

    Not one transaction, on purpose: each conversation is deleted in its own
    (:func:`retention_conversation_enforce`), so a failure keeps what was already deleted and
    recorded; the exception is re-raised after ``RetentionRun.error`` is saved. ``dry_run``
    writes nothing and lists what would go. A workspace without an active policy, or with
    nothing due, gets no ``RetentionRun`` row.
    """
    now = now or timezone.now()
    cutoff = workspace.retention_cutoff(now)
    report = RetentionReport(workspace.pk, workspace.slug, cutoff, dry_run=dry_run)
    if cutoff is None:
        return report
    due = list(
        conversations_past_retention(workspace, cutoff=cutoff)
        .annotate(
            running=Exists(Job.objects.filter(conversation=OuterRef("pk"), state__in=RUNNING))
        )
        .values_list("pk", "running")
    )
    if not due:
        return report
    action = (
        RetentionAction.CONVERSATION
        if workspace.delete_transcript_and_pii
        else RetentionAction.AUDIO
    )
    if dry_run:
        files = dict(
            Job.objects.filter(conversation_id__in=[pk for pk, _ in due])
            .exclude(media="")
            .values("conversation_id")
            .annotate(n=Count("pk"))
            .values_list("conversation_id", "n")
        )
        for pk, running in due:
            if running:
                report.skipped.append(pk)
                continue
            report.conversations.append((pk, action))
            report.counts["audio_files"] += files.get(pk, 0)
            if action == RetentionAction.CONVERSATION:
                report.counts["conversations"] += 1
        return report
    run = RetentionRun.objects.create(workspace=workspace, started_at=now, cutoff=cutoff)
    report.run_id = run.pk
    try:
        for pk, _ in due:
            counts = retention_conversation_enforce(
                run=run, workspace=workspace, conversation_id=pk, cutoff=cutoff
            )
            if counts is None:
                report.skipped.append(pk)
            else:
                report.conversations.append((pk, action))
                report.counts.update(counts)
    except Exception as err:
        RetentionRun.objects.filter(pk=run.pk).update(error=f"{type(err).__name__}: {err}")
        logger.exception("retention %s: stopped", workspace.slug)
        raise
    RetentionRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), skipped=len(report.skipped)
    )
    logger.info("retention %s", report.summary())
    return report


@transaction.atomic
def retention_conversation_enforce(
    *, run: RetentionRun, workspace: Workspace, conversation_id: int, cutoff: datetime
) -> Counter | None:
    """Apply ``workspace``'s policy to one conversation, in one transaction, and return what
    was deleted (``Counter`` of ``conversations``, ``audio_files``, ``messages``,
    ``insights``, ``members``); ``None`` when it was left alone (a job is running, or it is
    no longer due: already deleted, or not of this workspace).

    Its jobs, then the conversation, are locked before they are read (the order
    ``sync.services.results._store`` locks them in). Files are removed from storage only
    after the commit.
    """
    list(
        Job.objects.select_for_update()
        .filter(conversation_id=conversation_id, conversation__workspace=workspace)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    conversation = (
        Conversation.objects.select_for_update().filter(pk=conversation_id, workspace=workspace)
    ).first()
    due = conversations_past_retention(workspace, cutoff=cutoff).filter(pk=conversation_id)
    if conversation is None or not due.exists():
        return None
    jobs = Job.objects.filter(conversation=conversation)
    if jobs.filter(state__in=RUNNING).exists():
        return None
    media = [(job.media.storage, job.media.name) for job in jobs.exclude(media="").only("media")]
    counts: Counter = Counter(audio_files=len(media))
    if workspace.delete_transcript_and_pii:
        deleted = conversation_delete(conversation=conversation)  # removes the files on commit
        counts.update(
            conversations=1,
            messages=deleted.get("conversations.Message", 0),
            insights=deleted.get("conversations.Insight", 0),
            members=deleted.get("conversations.Member", 0),
        )
        action = RetentionAction.CONVERSATION
    else:
        jobs.exclude(media="").update(media="")

        def remove_media() -> None:
            for storage, name in media:
                storage.delete(name)

        transaction.on_commit(remove_media)
        action = RetentionAction.AUDIO
    RetentionDeletion.objects.create(
        run=run,
        workspace=workspace,
        conversation_id=conversation_id,
        conversation_created_at=conversation.created_at,
        action=action,
        counts={k: v for k, v in counts.items() if v},
    )
    _add_to_run(run, counts)
    return counts


def _add_to_run(run: RetentionRun, counts: Counter) -> None:
    RetentionRun.objects.filter(pk=run.pk).update(
        **{
            f"{name}_deleted": F(f"{name}_deleted") + counts[name]
            for name in ("conversations", "audio_files", "messages", "insights", "members")
        }
    )


def retention_enforce_all(
    *, now: datetime | None = None, dry_run: bool = False
) -> list[RetentionReport]:
    """:func:`retention_enforce` for every workspace with an active policy (retention days
    set and a deletion option on), by primary key. A workspace that fails is logged and the
    others still run; the first error is re-raised at the end."""
    reports, failure = [], None
    active = Workspace.objects.filter(retention_days__gte=0).filter(
        Q(delete_audio=True) | Q(delete_transcript_and_pii=True)
    )
    for workspace in active.order_by("pk"):
        try:
            reports.append(retention_enforce(workspace=workspace, now=now, dry_run=dry_run))
        except Exception as err:
            failure = failure or err
    if failure is not None:
        raise failure
    return reports
