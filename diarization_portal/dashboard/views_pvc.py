"""ElevenLabs PVC sample page: the separated speakers of a Professional Voice Cloning sample,
their audio, and which of them to keep for the voice (vendor-apis.md 2.1, 2.5).

Access is the conversation's: members read and listen, editors and admins choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from diarization_portal.conversations.models import Job, Member, Message
from diarization_portal.sync import vendors
from diarization_portal.sync.clients import client_for
from diarization_portal.sync.services.pvc import (
    PvcSelectionError,
    pvc_job_for,
    pvc_selection_save,
)
from providers.types import ProviderError

from .audio import MediaTypeRefused, audio_media_type, audio_response
from .views import _conversation, _workspaces

#: Utterance times listed per separated speaker; the count and duration cover all of them.
TIMES_SHOWN = 200


@dataclass
class Track:
    """One separated speaker (a vendor ``speaker_id``): its member, utterances as
    ``(start, end)`` seconds from the start of the sample, and their total duration."""

    member: Member
    utterances: list[tuple[float, float]] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Seconds this speaker talks in the sample."""
        return sum(end - start for start, end in self.utterances)

    @property
    def shown(self) -> list[tuple[float, float]]:
        """The first :data:`TIMES_SHOWN` utterances, ``(start, end)`` in seconds."""
        return self.utterances[:TIMES_SHOWN]


@dataclass
class Group:
    """A live member and the separated speakers that stand for it (more than one after a
    merge); ``kept`` is the member's ``pvc_selected``."""

    member: Member
    tracks: list[Track] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        """True when the member is among the speakers to keep (ElevenLabs' selection)."""
        return self.member.pvc_selected


def separated_speakers(job: Job) -> list[Group]:
    """The separated speakers of PVC ``job`` grouped by the live member they belong to, in
    order of first appearance. Three queries whatever the number of utterances."""
    tracks = vendors.pvc_tracks(job)
    by_pk = {m.pk: m for m in Member.objects.filter(conversation_id=job.conversation_id)}
    spans: dict[int, Track] = {t.pk: Track(member=t) for t in tracks}
    offset = job.time_offset
    rows = (
        Message.objects.filter(job=job, diarized_member_id__in=list(spans))
        .order_by("start", "pk")
        .values_list("diarized_member_id", "start", "end")
    )
    for member_id, start, end in rows:
        spans[member_id].utterances.append((start - offset, end - offset))
    groups: dict[int, Group] = {}
    for track in tracks:
        live = track.survivor_among(by_pk)
        groups.setdefault(live.pk, Group(member=live)).tracks.append(spans[track.pk])
    return list(groups.values())


def _pvc(request: HttpRequest, pk: int, *, edit: bool = False):
    conversation, membership = _conversation(request, pk, edit=edit)
    job = pvc_job_for(conversation)
    if job is None:
        raise Http404("This conversation is not an ElevenLabs PVC sample")
    return conversation, membership, job


@login_required
@require_GET
def pvc_speakers(request: HttpRequest, pk: int) -> HttpResponse:
    """The separated speakers of the conversation's PVC sample with players and the choice
    of speakers to keep."""
    conversation, membership, job = _pvc(request, pk)
    groups = separated_speakers(job)
    return render(
        request,
        "dashboard/pvc_speakers.html",
        {
            "conversation": conversation,
            "membership": membership,
            "workspace": conversation.workspace,
            "workspaces": _workspaces(request.user),
            "can_edit": membership.can_edit,
            "job": job,
            "voice_id": (job.options or {}).get("voice_id", ""),
            "sample_id": (job.options or {}).get("sample_id", ""),
            "groups": groups,
            "selected": vendors.pvc_labels(job),
        },
    )


@login_required
@require_POST
def pvc_selection(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the ticked speakers (``keep`` = member ids) and push the full
    ``selected_speaker_ids`` list to ElevenLabs after commit."""
    conversation, _, job = _pvc(request, pk, edit=True)
    if job.account is None:
        flash.error(request, "The ElevenLabs account of this sample was deleted: nothing sent.")
        return redirect("dashboard:pvc_speakers", pk=conversation.pk)
    keep = [int(v) for v in request.POST.getlist("keep") if v.isdigit()]
    try:
        labels = pvc_selection_save(job=job, keep=keep)
    except PvcSelectionError as exc:
        flash.error(request, f"Not saved: {exc}.")
    else:
        flash.success(
            request,
            f"Saved: keeping {len(labels)} separated speaker{'s' if len(labels) != 1 else ''} "
            f"({', '.join(labels)}); sending the selection to ElevenLabs.",
        )
    return redirect("dashboard:pvc_speakers", pk=conversation.pk)


def _audio_error(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def pvc_speaker_audio(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """The separated audio of one speaker, fetched through the ElevenLabs client (the vendor
    answers JSON with base64 audio, 2.1) and sent as an attachment with the vendor's media
    type when it is an audio or video type (:func:`~.audio.audio_media_type`). Vendor
    failures and any other media type answer 502 (account gone: 409) with a plain-text
    reason, which the page shows beside the player."""
    _, _, job = _pvc(request, pk)
    track = next((t for t in vendors.pvc_tracks(job) if t.pk == member_pk), None)
    if track is None:
        raise Http404("No such separated speaker in this sample")
    if job.account is None:
        return _audio_error("The ElevenLabs account of this sample was deleted.", 409)
    try:
        client = client_for(job.account)
        audio, media_type, _ = client.speaker_audio(*vendors.pvc_ids(job), track.vendor_label)
    except ProviderError as err:
        return _audio_error(f"ElevenLabs did not send the audio of {track.name}: {err}", 502)
    try:
        media_type = audio_media_type(media_type)
    except MediaTypeRefused as err:
        return _audio_error(
            f"ElevenLabs sent something else than audio for {track.name}: {err}; not played.",
            502,
        )
    return audio_response(audio, media_type=media_type, stem=f"speaker-{track.vendor_label}")
