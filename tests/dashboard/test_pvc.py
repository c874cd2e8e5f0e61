"""ElevenLabs PVC sample page: separated speakers, their audio through the ElevenLabs client,
the choice of speakers to keep and its push (vendor-apis.md 2.1, 2.5)."""

from __future__ import annotations

import base64
import json

import pytest
import responses
from django.urls import reverse

from diarization_portal.conversations.models import Job, Member, Message, SyncState
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services
from diarization_portal.sync.services import _queue
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.dashboard.test_views import count_queries
from tests.sync.conftest import TaskRecorder, due, make_account, recorded

pytestmark = pytest.mark.django_db(transaction=True)

EL = "https://api.elevenlabs.io"
PVC = f"{EL}/v1/voices/pvc/VxQ1abc/samples/smp_77"
OPTIONS = {"product": "pvc", "voice_id": "VxQ1abc", "sample_id": "smp_77"}
#: A separation with three speakers and several utterances each (shape of pvc_speakers.json).
SEPARATION = {
    "voice_id": "VxQ1abc",
    "sample_id": "smp_77",
    "status": "completed",
    "speakers": {
        "spk_a": {
            "speaker_id": "spk_a",
            "duration_secs": 14.5,
            "utterances": [{"start": 0.4, "end": 6.9}, {"start": 12.0, "end": 20.0}],
        },
        "spk_b": {
            "speaker_id": "spk_b",
            "duration_secs": 4.7,
            "utterances": [{"start": 7.1, "end": 11.8}],
        },
        "spk_c": {
            "speaker_id": "spk_c",
            "duration_secs": 1.5,
            "utterances": [{"start": 20.5, "end": 21.0}, {"start": 22.0, "end": 23.0}],
        },
    },
    "selected_speaker_ids": ["spk_a", "spk_b", "spk_c"],
}


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tasks(monkeypatch) -> TaskRecorder:
    recorder = TaskRecorder()
    monkeypatch.setattr(_queue, "async_task", recorder)
    return recorder


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def ws():
    return factories.workspace("Voices")


@pytest.fixture
def editor(ws, client):
    user = factories.user(ws, Role.EDITOR)
    client.force_login(user)
    return user


@pytest.fixture
def job(ws, tasks, mocked) -> Job:
    """A PVC job imported from :data:`SEPARATION` through the sync services."""
    account = make_account(ws, "elevenlabs", base_url="default")
    made = services.job_create(account=account, title="Narration sample", options=OPTIONS)
    mocked.get(f"{PVC}/speakers", json=SEPARATION)
    assert tasks.run_all() == ["submit_job"]
    services.job_poll(job_id=due(made).pk)  # the sweeper's next look
    assert tasks.run_all() == ["import_job"]
    return Job.objects.select_related("conversation").get(pk=made.pk)


def page_url(job) -> str:
    return reverse("dashboard:pvc_speakers", args=[job.conversation_id])


def audio_url(job, member) -> str:
    return reverse("dashboard:pvc_speaker_audio", args=[job.conversation_id, member.pk])


def tracks(job) -> dict[str, Member]:
    return {m.vendor_label: m for m in Member.objects.filter(conversation=job.conversation)}


# --- page ---------------------------------------------------------------------------------------


def test_page_lists_each_separated_speaker_with_duration_and_utterance_times(client, editor, job):
    html = client.get(page_url(job)).content.decode()
    by_label = tracks(job)
    a = html[html.index(f'id="pvc-member-{by_label["spk_a"].pk}"') :]
    a = a[: a.index("</tbody>")]
    assert "Speaker 1" in a and "<code>spk_a</code>" in a
    assert '<td class="num">14.5 s</td>' in a
    assert "2 utterances" in a
    assert 'title="0.40\u20136.90 s">0:00\u20130:07</li>' in a
    assert 'title="12.00\u201320.00 s">0:12\u20130:20</li>' in a
    assert audio_url(job, by_label["spk_a"]) in a
    assert 'name="keep" value="{}"'.format(by_label["spk_a"].pk) in a and "checked" in a
    assert html.count('class="pvc-audio"') == 3
    assert "Now selected: <code>spk_a</code>, <code>spk_b</code>, <code>spk_c</code>" in html


def test_conversation_page_links_the_pvc_page_only_for_pvc_conversations(client, editor, job, ws):
    detail = reverse("dashboard:conversation_detail", args=[job.conversation_id])
    assert page_url(job) in client.get(detail).content.decode()
    other = factories.conversation(ws)
    other_detail = reverse("dashboard:conversation_detail", args=[other.pk])
    assert "/pvc/" not in client.get(other_detail).content.decode()
    assert client.get(reverse("dashboard:pvc_speakers", args=[other.pk])).status_code == 404


def test_access_is_the_conversations(client, ws, job):
    client.force_login(factories.user(factories.workspace(), Role.ADMIN))
    spk_a = tracks(job)["spk_a"]
    assert client.get(page_url(job)).status_code == 404
    assert client.get(audio_url(job, spk_a)).status_code == 404
    client.force_login(factories.user(ws, Role.VIEWER))
    html = client.get(page_url(job)).content.decode()
    assert "Save and send" not in html and "disabled" in html
    selection = reverse("dashboard:pvc_selection", args=[job.conversation_id])
    assert client.post(selection, {"keep": [spk_a.pk]}).status_code == 403
    assert set(Member.objects.values_list("pvc_selected", flat=True)) == {True}


def test_merged_speakers_are_listed_under_the_person_they_belong_to(client, editor, job, tasks):
    by_label = tracks(job)
    speakers.member_merge(source=by_label["spk_c"], target=by_label["spk_a"])
    tasks.take()
    html = client.get(page_url(job)).content.decode()
    group = html[html.index(f'id="pvc-member-{by_label["spk_a"].pk}"') :]
    group = group[: group.index("</tbody>")]
    assert "<code>spk_a</code>" in group and "<code>spk_c</code>" in group
    assert "merged in (Speaker 3)" in group
    assert f'id="pvc-member-{by_label["spk_c"].pk}"' not in html
    assert html.count('name="keep"') == 2


# --- choice -------------------------------------------------------------------------------------


def test_saving_the_choice_pushes_the_full_list_of_kept_speakers(
    client, editor, job, tasks, mocked
):
    by_label = tracks(job)
    sent = []
    mocked.add_callback(
        "POST",
        PVC,
        callback=lambda req: (sent.append(json.loads(req.body)) or 200, {}, '{"voice_id":"x"}'),
    )
    speakers.member_merge(source=by_label["spk_c"], target=by_label["spk_a"])
    tasks.run_all()  # the merge's own pushes: still everyone
    assert sent == [{"selected_speaker_ids": ["spk_a", "spk_b", "spk_c"]}] * 2
    sent.clear()
    selection = reverse("dashboard:pvc_selection", args=[job.conversation_id])
    response = client.post(selection, {"keep": [by_label["spk_a"].pk]})
    assert response.status_code == 302 and response.url == page_url(job)
    assert tasks.names() == ["push_member"]  # spk_b is the only track whose state changed
    tasks.run_all()
    assert sent == [{"selected_speaker_ids": ["spk_a", "spk_c"]}]
    html = client.get(page_url(job)).content.decode()
    assert "Saved: keeping 2 separated speakers (spk_a, spk_c)" in html
    assert f'class="pvc-group dropped" id="pvc-member-{by_label["spk_b"].pk}"' in html
    assert Member.objects.get(pk=by_label["spk_b"].pk).sync_state == SyncState.SYNCED


def test_keeping_nobody_is_refused_and_changes_nothing(client, editor, job, tasks):
    selection = reverse("dashboard:pvc_selection", args=[job.conversation_id])
    response = client.post(selection, {}, follow=True)
    assert "Not saved: keep at least one speaker" in response.content.decode()
    assert set(Member.objects.values_list("pvc_selected", flat=True)) == {True}
    assert tasks.names() == []


# --- audio --------------------------------------------------------------------------------------


def test_audio_is_fetched_through_the_client_and_sent_as_audio(client, editor, job, mocked):
    body = recorded("elevenlabs", "speaker_audio.json")
    route = mocked.get(f"{PVC}/speakers/spk_b/audio", json=body)
    response = client.get(audio_url(job, tracks(job)["spk_b"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert b"".join(response.streaming_content) == base64.b64decode(body["audio_base_64"])
    assert route.call_count == 1
    assert route.calls[0].request.headers["xi-api-key"] == "sk_live_9f8e7d6c5b4a39281706"


SCRIPT_PAGE = b"<html><script>fetch('/account/api-keys/', {method: 'POST'})</script></html>"


@pytest.mark.parametrize(
    "media_type",
    ["text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml", "application/xhtml+xml"],
)
def test_audio_the_vendor_labels_as_a_page_is_refused_with_the_reason(
    client, editor, job, mocked, media_type
):
    body = {"audio_base_64": base64.b64encode(SCRIPT_PAGE).decode(), "media_type": media_type}
    mocked.get(f"{PVC}/speakers/spk_a/audio", json=body)
    response = client.get(audio_url(job, tracks(job)["spk_a"]))
    assert response.status_code == 502
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("ElevenLabs sent something else than audio for Speaker 1:")
    assert "is not audio or video" in text and "<script>" not in text


@pytest.mark.parametrize(
    ("media_type", "served", "filename"),
    [
        ("audio/mpeg", "audio/mpeg", "speaker-spk_b.mp3"),
        ("Audio/WAV; codecs=1", "audio/wav", "speaker-spk_b.wav"),
        ("video/webm", "video/webm", "speaker-spk_b.webm"),
        ("", "audio/mpeg", "speaker-spk_b.mp3"),
    ],
)
def test_audio_is_served_as_a_nosniff_attachment_of_its_audio_type(
    client, editor, job, mocked, media_type, served, filename
):
    body = {**recorded("elevenlabs", "speaker_audio.json"), "media_type": media_type}
    mocked.get(f"{PVC}/speakers/spk_b/audio", json=body)
    response = client.get(audio_url(job, tracks(job)["spk_b"]))
    assert response.status_code == 200
    assert response["Content-Type"] == served
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


@pytest.mark.parametrize(
    ("status", "name", "reason"),
    [
        (404, "error_voice_not_found.json", "A voice with the voice_id VxQ1abc was not found"),
        (401, "error_legacy.json", "Invalid API key"),
    ],
)
def test_vendor_errors_give_a_clear_message_not_a_500(
    client, editor, job, mocked, status, name, reason
):
    mocked.get(f"{PVC}/speakers/spk_a/audio", status=status, json=recorded("elevenlabs", name))
    response = client.get(audio_url(job, tracks(job)["spk_a"]))
    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.startswith("ElevenLabs did not send the audio of Speaker 1:") and reason in text
    assert "sk_live_9f8e7d6c5b4a39281706" not in text


def test_audio_reply_without_audio_is_a_502(client, editor, job, mocked):
    mocked.get(f"{PVC}/speakers/spk_a/audio", json={"media_type": "audio/mpeg"})
    response = client.get(audio_url(job, tracks(job)["spk_a"]))
    assert response.status_code == 502 and "no audio_base_64" in response.content.decode()


def test_audio_of_a_member_that_is_no_separated_speaker_is_a_404(client, editor, job, ws):
    other = factories.conversation(ws).members.first()
    assert client.get(audio_url(job, other)).status_code == 404
    job.account.delete()
    response = client.get(audio_url(job, tracks(job)["spk_a"]))
    assert response.status_code == 409 and "was deleted" in response.content.decode()
    assert "account deleted" in client.get(page_url(job)).content.decode()


def test_page_query_count_does_not_grow_with_utterances(client, editor, job):
    few = count_queries(client, page_url(job))
    spk = tracks(job)["spk_b"]
    Message.objects.bulk_create(
        Message(
            conversation=job.conversation,
            external_id=f"extra-{i}",
            member=spk,
            diarized_member=spk,
            start=100.0 + i,
            end=100.5 + i,
            job=job,
        )
        for i in range(1000)
    )
    many = count_queries(client, page_url(job))
    assert len(many) == len(few), many.sql()
    assert "first 200 of 1001" in client.get(page_url(job)).content.decode()
