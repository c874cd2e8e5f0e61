"""Linked ElevenLabs Speech Engines: link by id, background refresh (django-q2 task on link,
hourly schedule), errors kept on the link, privacy compared with the workspace's
(vendor-apis.md 2.3). Against recorded bodies and the loopback emulator."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django_q.models import Schedule

from diarization_portal.sync.models import SpeechEngineLink
from diarization_portal.sync.services import engines
from diarization_portal.sync.tasks import refresh_speech_engine, refresh_speech_engines
from diarization_portal.workspaces.models import Workspace
from providers.elevenlabs import SpeechEnginePrivacy
from tests.atomicity import every_write_fails
from tests.broker import queued
from tests.emulator import Datasets, Fault, VendorEmulator

from .conftest import SECRETS, make_account, recorded

pytestmark = pytest.mark.django_db(transaction=True)

EL = "https://api.elevenlabs.io"


@pytest.fixture
def eleven(workspace):
    return make_account(workspace, "elevenlabs")


def test_linking_enqueues_a_read_that_stores_the_engine(eleven, mocked, tasks):
    body = recorded("elevenlabs", "speech_engine_full.json")
    mocked.get(f"{EL}/v1/speech-engine/seng_support_eu", json=body)

    link = engines.speech_engine_link(account=eleven, engine_id="  seng_support_eu ")

    assert (link.engine_id, link.state) == ("seng_support_eu", "pending")
    assert tasks.names() == ["refresh_speech_engine"]
    assert refresh_speech_engine(*tasks.take()[0][1]) == "ok"
    link.refresh_from_db()
    assert link.state == "ok" and link.fetched_at is not None
    engine = link.engine
    assert (engine.name, engine.language, engine.asr.quality) == ("Support line (EU)", "de", "high")
    assert engine.asr.keywords == ("Kündigung", "Rechnung", "Acme Premium")
    assert engine.privacy.retention_days == 14 and engine.call_limits.daily_limit == 5000
    assert mocked.calls[0].request.headers["xi-api-key"] == SECRETS["api_key"]


def test_linking_twice_keeps_one_link(eleven, tasks):
    first = engines.speech_engine_link(account=eleven, engine_id="seng_1")
    again = engines.speech_engine_link(account=eleven, engine_id="seng_1")
    assert first.pk == again.pk and SpeechEngineLink.objects.count() == 1


@pytest.mark.parametrize("engine_id", ["", "seng 1", "../v1/voices", "x" * 201])
def test_bad_ids_are_refused(eleven, tasks, engine_id):
    with pytest.raises(engines.SpeechEngineInvalid):
        engines.speech_engine_link(account=eleven, engine_id=engine_id)
    assert not SpeechEngineLink.objects.exists() and tasks.calls == []


def test_only_elevenlabs_accounts_link_engines(workspace, tasks):
    with pytest.raises(engines.SpeechEngineInvalid, match="Only ElevenLabs"):
        engines.speech_engine_link(account=make_account(workspace, "symbl"), engine_id="seng_1")


@pytest.mark.parametrize(
    ("status", "name", "error_type"),
    [
        (404, "error_speech_engine_not_found.json", "http_404"),
        (401, "error_legacy.json", "http_401"),
    ],
)
def test_errors_are_kept_on_the_link_with_the_last_good_read(
    eleven, mocked, tasks, status, name, error_type
):
    url = f"{EL}/v1/speech-engine/seng_support_eu"
    mocked.get(url, json=recorded("elevenlabs", "speech_engine_full.json"))
    link = engines.speech_engine_link(account=eleven, engine_id="seng_support_eu")
    engines.speech_engine_refresh(link_id=link.pk)
    mocked.replace("GET", url, status=status, json=recorded("elevenlabs", name))

    link = engines.speech_engine_refresh(link_id=link.pk)

    assert (link.state, link.error_type) == ("error", error_type)
    assert recorded("elevenlabs", name)["detail"]["message"] in link.error_message
    assert SECRETS["api_key"] not in link.error_message
    assert link.engine.name == "Support line (EU)"  # the last good read stays


def test_a_refresh_of_an_unlinked_engine_does_nothing(eleven, tasks, mocked):
    link = engines.speech_engine_link(account=eleven, engine_id="seng_1")
    engines.speech_engine_unlink(link=link)
    assert refresh_speech_engine(link.pk) == "unlinked"
    assert len(mocked.calls) == 0


def test_the_hourly_schedule_enqueues_every_link(eleven, tasks):
    migration = import_module("diarization_portal.sync.migrations.0005_speech_engine_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # idempotent
    schedule = Schedule.objects.get(name=migration.SCHEDULE_NAME)
    assert schedule.func == "diarization_portal.sync.tasks.refresh_speech_engines"
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.HOURLY, -1)
    a = engines.speech_engine_link(account=eleven, engine_id="seng_a")
    b = engines.speech_engine_link(account=eleven, engine_id="seng_b")
    tasks.take()
    assert refresh_speech_engines() == "2 speech engines enqueued"
    assert tasks.take() == [("refresh_speech_engine", (a.pk,)), ("refresh_speech_engine", (b.pk,))]


def test_against_the_emulator_with_a_fault_then_recovery(workspace, tasks, real_data):
    with VendorEmulator(Datasets.load(real_data)) as emulator:
        account = make_account(workspace, "elevenlabs", base_url=emulator.base_url("elevenlabs"))
        emulator.elevenlabs.add_speech_engine(
            "seng_eu", name="EU line", privacy={"record_voice": False, "retention_days": 7}
        )
        emulator.inject("elevenlabs", "GET /v1/speech-engine/*", Fault.http(503))
        link = engines.speech_engine_link(account=account, engine_id="seng_eu")
        assert refresh_speech_engine(link.pk) == "error http_503"
        assert refresh_speech_engine(link.pk) == "ok"
        link.refresh_from_db()
        assert link.engine.privacy.record_voice is False and link.engine.name == "EU line"
        missing = engines.speech_engine_link(account=account, engine_id="seng_missing")
        assert refresh_speech_engine(missing.pk) == "error http_404"
        emulator.elevenlabs.api_key = "another-key"
        assert refresh_speech_engine(link.pk) == "error http_401"


def _workspace(**fields) -> Workspace:
    return Workspace(name="w", slug="w", **fields)


@pytest.mark.parametrize(
    ("privacy", "workspace", "fields"),
    [
        (SpeechEnginePrivacy(), _workspace(), []),
        (SpeechEnginePrivacy(record_voice=False), _workspace(), ["record_voice"]),
        (SpeechEnginePrivacy(), _workspace(record_voice=False), ["record_voice"]),
        (SpeechEnginePrivacy(zero_retention_mode=True), _workspace(), ["zero_retention_mode"]),
        (
            SpeechEnginePrivacy(retention_days=7, delete_audio=True),
            _workspace(retention_days=30, delete_audio=True),
            ["retention_days"],
        ),
        (
            SpeechEnginePrivacy(retention_days=30, delete_transcript_and_pii=True),
            _workspace(retention_days=30, delete_audio=True),
            [],
        ),
        (SpeechEnginePrivacy(retention_days=7), _workspace(), []),  # deletes nothing: for ever
        (
            SpeechEnginePrivacy(),
            _workspace(retention_days=30, delete_audio=True),
            ["retention_days"],
        ),
    ],
)
def test_privacy_conflicts(privacy, workspace, fields):
    assert [c.field for c in engines.privacy_conflicts(privacy, workspace)] == fields


def test_conflict_messages_say_which_side_is_shorter():
    ws = _workspace(retention_days=30, delete_transcript_and_pii=True)
    shorter = engines.privacy_conflicts(
        SpeechEnginePrivacy(retention_days=7, delete_audio=True), ws
    )
    assert "(7 days) is shorter than this workspace's (30 days)" in shorter[0].message
    longer = engines.privacy_conflicts(
        SpeechEnginePrivacy(retention_days=90, delete_audio=True), ws
    )
    assert "longer" in longer[0].message
    forever = engines.privacy_conflicts(SpeechEnginePrivacy(), ws)
    assert "keeps this engine's conversations for ever" in forever[0].message


def test_linking_fails_half_way_without_a_trace_or_a_task(eleven):
    link = every_write_fails(
        lambda: engines.speech_engine_link(account=eleven, engine_id="seng_atomic")
    )
    assert SpeechEngineLink.objects.get().pk == link.pk
    assert queued() == [("refresh_speech_engine", (link.pk,))]  # once the link committed
