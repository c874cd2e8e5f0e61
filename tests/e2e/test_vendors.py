"""Each vendor end to end through a real django-q2 cluster: job_create → submit → poll or
webhook → import → rename a member → the push reaches the emulator (Symbl members, ElevenLabs
PVC selected speakers) or, where the vendor takes no member updates, nothing is sent."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django_q.models import Task

from diarization_portal.conversations.models import Insight, Member, Message, SyncState
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services
from diarization_portal.sync.services import pvc
from tests.emulator import Advance
from tests.emulator.elevenlabs import turns_of_words

from .checks import assert_imported_once, members
from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.e2e

MEDIA = "https://media.example.org/recordings/kick-off.mp3"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


def _synced(e2e, member: Member) -> Member:
    return e2e.wait_until(
        lambda: (m := Member.objects.get(pk=member.pk)).sync_state == SyncState.SYNCED and m,
        what=f"member {member.pk} pushed",
    )


def _nothing_sent_after(e2e, member: Member, seen: int) -> None:
    """The rename stayed local: no push task, no request to the vendor."""
    assert Member.objects.get(pk=member.pk).sync_state == SyncState.LOCAL
    assert e2e.drain()
    assert not Task.objects.filter(func__endswith="push_member").exists()
    assert len(e2e.emulator.requests()) == seen


def test_symbl_webhooks_drive_the_job_and_renames_reach_symbl(e2e):
    e2e.emulator.symbl.advance = Advance.every(0.15)
    account = e2e.account("symbl")
    job = services.job_create(
        account=account, source_url=MEDIA, title="Kick-off", speaker_count=4, language="en-US"
    )
    job = e2e.wait_job(job)
    vendor = e2e.emulator.symbl.conversation(job.vendor_conversation_id)
    assert job.conversation.external_id == vendor.id and job.attempts == 0

    [submit] = e2e.emulator.requests("symbl", "POST /v1/process/audio/url")
    assert submit.query == {"enableSpeakerDiarization": ["true"], "diarizationSpeakerCount": ["4"]}
    hook = f"{e2e.live_server.url}/webhooks/symbl/{job.webhook_token}/"
    assert submit.json() == {
        "url": MEDIA,
        "name": f"diarization-portal-job-{job.pk}",
        "languageCode": "en-US",
        "webhookUrl": hook,
    }
    calls = e2e.emulator.deliveries
    assert [d.payload["status"] for d in calls] == ["in_progress", "completed"]
    e2e.wait_until(lambda: all(d.done.is_set() for d in calls), what="webhooks answered")
    assert [d.status for d in calls] == [200, 200]

    conversation = job.conversation
    imported = Message.objects.filter(conversation=conversation)
    assert sorted(imported.values_list("external_id", flat=True)) == sorted(vendor.message_ids())
    assert Insight.objects.filter(conversation=conversation).count() == len(vendor.insights)
    people = members(conversation)
    assert {label: m.name for label, m in people.items()} == {
        m.id: m.name for m in vendor.members.values()
    }
    assert {m.sync_state for m in people.values()} == {SyncState.SYNCED}

    laura, david = sorted(people.values(), key=lambda m: m.position)[:2]
    speakers.member_rename(member=laura, name="Laura", email="laura@example.org")
    _synced(e2e, laura)
    assert vendor.members[laura.vendor_label].name == "Laura"
    assert vendor.members[laura.vendor_label].email == "laura@example.org"
    [put] = e2e.emulator.requests("symbl", "PUT /v1/conversations/*/members/*")
    assert put.path == f"/v1/conversations/{vendor.id}/members/{laura.vendor_label}"
    assert put.json() == {"id": laura.vendor_label, "name": "Laura", "email": "laura@example.org"}

    e2e.emulator.symbl.expire_tokens()  # the worker's cached token is now refused once
    speakers.member_rename(member=david, name="David")
    _synced(e2e, david)
    assert vendor.members[david.vendor_label].name == "David"


def test_elevenlabs_speech_to_text_by_signed_webhook_stays_local(e2e):
    eleven = e2e.emulator.elevenlabs
    eleven.advance = Advance.every(0.3)
    account = e2e.account("elevenlabs")
    hook = reverse("sync:elevenlabs_webhook", args=[account.pk])
    eleven.webhook = (f"{e2e.live_server.url}{hook}", WEBHOOK_SECRET)
    job = services.job_create(
        account=account, source_url=MEDIA, speaker_count=3, options={"product": "stt"}
    )
    job = e2e.wait_job(job)
    [item] = eleven.transcriptions.values()
    assert (job.vendor_job_id, job.vendor_conversation_id) == (
        item.request_id,
        item.transcription_id,
    )
    assert item.fields["webhook_metadata"] == f'{{"portal_job_id":{job.pk}}}'
    [delivery] = e2e.emulator.deliveries
    assert delivery.done.wait(10) and delivery.status == 200

    turns = [(label, 0, start, end) for label, start, end in turns_of_words(eleven.words)]
    assert_imported_once(job.conversation, turns)
    people = members(job.conversation)
    assert sorted(people) == ["speaker_0", "speaker_1", "speaker_2"]
    assert {m.sync_state for m in people.values()} == {SyncState.LOCAL}

    seen = len(e2e.emulator.requests())
    speakers.member_rename(member=people["speaker_1"], name="Mission control")
    _nothing_sent_after(e2e, people["speaker_1"], seen)


def test_elevenlabs_pvc_separation_then_the_kept_speakers_reach_elevenlabs(e2e):
    e2e.emulator.elevenlabs.advance = Advance.every(0.2)
    account = e2e.account("elevenlabs")
    job = services.job_create(
        account=account,
        title="Voice sample",
        options={"product": "pvc", "voice_id": "VxQ1abc", "sample_id": "smp_77"},
    )
    job = e2e.wait_job(job)
    sample = e2e.emulator.elevenlabs.sample("VxQ1abc", "smp_77")
    assert sample.starts == 1 and job.vendor_job_id == "VxQ1abc/smp_77"
    turns = [(t.speaker, 0, t.start, t.end) for t in sample.recording.turns]
    assert_imported_once(job.conversation, turns)
    people = members(job.conversation)
    assert {m.sync_state for m in people.values()} == {SyncState.SYNCED}

    speakers.member_rename(member=people["spk00"], name="Host")
    _synced(e2e, people["spk00"])
    assert sorted(sample.selections[-1]) == ["spk00", "spk01"]  # the full list, every time

    pvc.pvc_selection_save(job=job, keep=[people["spk00"].pk])
    e2e.wait_until(lambda: sample.selected == ["spk00"], what="the guest's audio dropped")

    # Merged speakers are one person: every separated track of a kept member is kept.
    speakers.member_merge(source=people["spk01"], target=people["spk00"])
    e2e.wait_until(lambda: sorted(sample.selected) == ["spk00", "spk01"], what="merged, kept")
    assert e2e.drain() and sorted(sample.selections[-1]) == ["spk00", "spk01"]


def test_phonexia_two_channel_call_is_imported_and_renames_stay_local(e2e):
    e2e.emulator.phonexia.api_key = "e2e-phx-key"
    account = e2e.account("phonexia")
    job = services.job_create(
        account=account,
        media=ContentFile(WAV, name="support-call.wav"),
        speaker_count=4,
        options={"channel_mode": "split"},
    )
    job = e2e.wait_job(job)
    task = e2e.emulator.phonexia.tasks[job.vendor_job_id]
    assert task.config == {"total_speakers": 4} and task.size == len(WAV)
    assert task.filename.startswith("support-call") and task.correlation_id
    assert_imported_once(job.conversation, [(s, c, a, b) for c, s, a, b in task.segments()])
    people = Member.objects.filter(conversation=job.conversation)
    assert sorted((m.channel, m.vendor_label) for m in people) == [
        (0, "0"),
        (0, "1"),
        (1, "0"),
        (1, "1"),
    ]
    assert {m.sync_state for m in people} == {SyncState.LOCAL}

    seen = len(e2e.emulator.requests())
    speakers.member_rename(member=people[0], name="Agent")
    _nothing_sent_after(e2e, people[0], seen)


def test_deepaffects_answers_by_webhook_to_the_live_portal(e2e):
    e2e.emulator.deepaffects.api_key = "e2e-da-key"
    account = e2e.account("deepaffects")
    job = services.job_create(
        account=account, source_url=MEDIA, options={"encoding": "MP3", "sample_rate": 44100}
    )
    job = e2e.wait_job(job)
    [accepted] = e2e.emulator.deepaffects.requests.values()
    assert accepted.request_id == job.vendor_job_id
    assert accepted.webhook == f"{e2e.live_server.url}/webhooks/deepaffects/{job.webhook_token}/"
    assert accepted.body["url"] == MEDIA and accepted.body["sampleRate"] == 44100
    assert accepted.delivery.done.wait(10) and accepted.delivery.status == 200
    rows = [(s["speaker_id"], 0, s["start"], s["end"]) for s in e2e.emulator.deepaffects.segments()]
    assert_imported_once(job.conversation, rows)
    people = members(job.conversation)
    assert sorted(people) == ["speaker1", "speaker2", "speaker3"]

    seen = len(e2e.emulator.requests())
    speakers.member_rename(member=people["speaker2"], name="Moderator")
    _nothing_sent_after(e2e, people["speaker2"], seen)
