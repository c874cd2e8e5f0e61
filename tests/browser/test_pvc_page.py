"""In a real browser: the PVC sample page lists the separated speakers, explains an audio
failure next to its player and saves the speakers to keep."""

from __future__ import annotations

import json

import pytest
import responses

from diarization_portal.conversations.models import Job, Member
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services
from diarization_portal.sync.services import _queue
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS
from tests.dashboard.test_pvc import OPTIONS, PVC, SEPARATION
from tests.sync.conftest import TaskRecorder, due, make_account, recorded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pvc_page_lists_speakers_shows_audio_errors_and_saves_the_choice(
    live_server, browser_page, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    tasks = TaskRecorder()
    monkeypatch.setattr(_queue, "async_task", tasks)
    ws = factories.workspace("Voices")
    factories.user(ws, Role.EDITOR, username="ed-editor")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        account = make_account(ws, "elevenlabs", base_url="default")
        job = services.job_create(account=account, title="Narration sample", options=OPTIONS)
        mocked.get(f"{PVC}/speakers", json=SEPARATION)
        tasks.run_all()
        services.job_poll(job_id=due(job).pk)
        tasks.run_all()
        job = Job.objects.get(pk=job.pk)
        members = {m.vendor_label: m for m in Member.objects.filter(conversation=job.conversation)}
        Member.objects.filter(pk=members["spk_a"].pk).update(name="Narrator", name_locked=True)
        mocked.get(
            f"{PVC}/speakers/spk_c/audio",
            status=404,
            json=recorded("elevenlabs", "error_voice_not_found.json"),
        )
        sent = []
        mocked.add_callback(
            "POST",
            PVC,
            callback=lambda r: (sent.append(json.loads(r.body)) or 200, {}, '{"voice_id":"x"}'),
        )

        # the two tracks of one person: merged, listed together, kept together
        speakers.member_merge(source=members["spk_b"], target=members["spk_a"])
        tasks.run_all()
        sent.clear()

        page = browser_page
        log_in(page, live_server, "ed-editor")
        page.goto(f"{live_server.url}/c/{job.conversation_id}/")
        page.click("text=Separated speakers of the PVC sample")
        page.wait_for_selector("table.pvc")
        assert page.locator("tbody.pvc-group").count() == 2
        narrator = page.locator(f"#pvc-member-{members['spk_a'].pk}")
        assert narrator.locator("code").all_inner_texts() == ["spk_a", "spk_b"]
        page.locator(f"#pvc-member-{members['spk_a'].pk} details.times summary").first.click()
        c_audio = page.locator(f"#pvc-member-{members['spk_c'].pk} audio")
        c_audio.evaluate("a => a.play().catch(() => {})")
        error = page.locator(f"#pvc-member-{members['spk_c'].pk} .audio-error")
        error.wait_for(state="visible")
        assert "A voice with the voice_id VxQ1abc was not found" in error.inner_text()
        page.screenshot(path=str(ARTIFACTS / "pvc-page.png"), full_page=True)

        page.uncheck(f"#keep-{members['spk_c'].pk}")
        page.click("text=Save and send to ElevenLabs")
        page.wait_for_selector("text=Saved: keeping 2 separated speakers (spk_a, spk_b)")
        tasks.run_all()
        assert sent == [{"selected_speaker_ids": ["spk_a", "spk_b"]}]
        page.reload()
        page.screenshot(path=str(ARTIFACTS / "pvc-page-saved.png"), full_page=True)
        assert page.locator(f"#pvc-member-{members['spk_c'].pk}.dropped").count() == 1
