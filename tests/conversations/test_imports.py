"""The import service's bulk writes (``services/imports.py``): ``COPY … FROM STDIN`` on
PostgreSQL, ``executemany`` on SQLite, and the same rows either way.

Every test here runs on the backend ``DATABASE_URL`` chooses (``scripts/run-tests.sh`` runs
the suite on both) and expects the same rows from both; only the statements differ.
"""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    Job,
    Member,
    Message,
)
from diarization_portal.conversations.services import imports
from diarization_portal.conversations.services.imports import (
    ImportRejected,
    file_import,
    transcript_import,
)
from providers.types import InsightData, Speaker, Transcript, Utterance
from tests import factories

SHA = "ab" * 32
POSTGRESQL = "postgresql"

# Text that a COPY in text format must escape (tab, newline, carriage return, backslash, the
# \N that means NULL and the \. that once ended the data), SQL placeholders, and non-ASCII.
AWKWARD_TEXTS = [
    "tab\tinside",
    "new\nline",
    "carriage\rreturn and CRLF\r\n",
    "back\\slash",
    "\\N",
    "\\.",
    "\\",
    "ends with a backslash\\",
    "\\t is not a tab",
    "\\\\ two backslashes",
    "quotes ' and \" and `",
    "placeholders %s %(name)s {0} $1 ?",
    "ünïcødé — 日本語 — עברית 🎙️",
    "\u2028line separator\u2029paragraph separator\x85next line",
    "\x01\x07\x08\x0b\x0c\x1b\x1f\x7f control characters",
    "",
    "  leading and trailing spaces  ",
    "long " * 4000,
]
# Times that a text round trip could round.
AWKWARD_TIMES = [0.1 + 0.2, 1e-7, 123456.789012345, 1 / 3, 2.0**-30, 7.0]


def awkward_transcript(*, text: str = "", insights: bool = True) -> Transcript:
    """Speakers, utterances and insights whose labels, ids and texts need escaping."""
    speakers = [
        Speaker(label="spk\t0", name="Dr. O'Neil \\ Jr.", email="ONEIL@example.com"),
        Speaker(label="spk\\1", name="Zoë\nTwo Lines"),
    ]
    utterances = [
        Utterance(
            speaker_label=speakers[i % 2].label,
            start=AWKWARD_TIMES[i % len(AWKWARD_TIMES)] + i,
            end=AWKWARD_TIMES[i % len(AWKWARD_TIMES)] + i + 0.5,
            text=body + text,
            external_id=f"id\t{i}\\N\n",
        )
        for i, body in enumerate(AWKWARD_TEXTS)
    ]
    items = (
        [
            InsightData(
                type="question",
                text="Who owns\tthe \\N item?",
                external_id="ins\\1",
                from_label="spk\t0",
                assignee_label="spk\\1",
                message_ids=(utterances[0].external_id, utterances[4].external_id),
                phrases=[{"text": "tab\there \\ back"}],
            )
        ]
        if insights
        else []
    )
    return Transcript(
        source="symbl",
        speakers=speakers,
        utterances=utterances,
        insights=items,
        global_speaker_ids=True,
    )


def _import(ws, transcript: Transcript, **kwargs):
    return transcript_import(
        workspace=ws, transcript=transcript, source_name="awkward.json", sha256=SHA, **kwargs
    )


@pytest.mark.django_db
def test_awkward_text_ids_and_times_round_trip_exactly():
    ws = factories.workspace()
    transcript = awkward_transcript()
    with CaptureQueriesContext(connection) as queries:
        result = _import(ws, transcript)
    conv = result.conversation

    stored = {
        m.external_id: m for m in Message.objects.filter(conversation=conv).select_related("member")
    }
    assert len(stored) == len(transcript.utterances)
    for utt in transcript.utterances:
        message = stored[utt.external_id]
        assert message.text == utt.text
        assert (message.start, message.end) == (utt.start, utt.end)  # exact, not rounded
        assert message.member.vendor_label == utt.speaker_label
        assert message.diarized_member_id == message.member_id
        assert (message.channel, message.job_id) == (0, result.job.pk)
    names = dict(Member.objects.filter(conversation=conv).values_list("vendor_label", "name"))
    assert names == {"spk\t0": "Dr. O'Neil \\ Jr.", "spk\\1": "Zoë\nTwo Lines"}
    insight = Insight.objects.get(conversation=conv)
    assert (insight.external_id, insight.text) == ("ins\\1", "Who owns\tthe \\N item?")
    assert insight.phrases == [{"text": "tab\there \\ back"}]
    linked = set(insight.messages.values_list("external_id", flat=True))
    assert linked == {"id\t0\\N\n", "id\t4\\N\n"}

    # The bulk writes are COPY on PostgreSQL and INSERTs on SQLite, never both.
    copies = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("COPY")]
    if connection.vendor == POSTGRESQL:
        message_table = Message._meta.db_table
        link_table = Insight.messages.through._meta.db_table
        assert [sql.split()[1].strip('"') for sql in copies] == [message_table, link_table]
    else:
        assert copies == []

    again = _import(ws, transcript, into=conv)
    assert again.created == {"members": 0, "messages": 0, "insights": 0}
    assert Message.objects.filter(conversation=conv).count() == len(transcript.utterances)


@pytest.mark.django_db
def test_insights_link_messages_read_back_in_batches_new_and_already_stored():
    """The new messages' keys are read back only for the ids the insights link to, in batches
    of ``BATCH``; an appended file's insights may also link messages stored before."""
    ws = factories.workspace()
    count = imports.BATCH + 5
    speakers = [Speaker(label="spk0")]
    first = Transcript(
        source="symbl",
        speakers=speakers,
        utterances=[
            Utterance(speaker_label="spk0", start=i, end=i + 1, external_id=f"m{i}")
            for i in range(count)
        ],
        insights=[
            InsightData(
                type="follow_up",
                text="all",
                external_id="all",
                message_ids=tuple(f"m{i}" for i in range(count)),
            )
        ],
        global_speaker_ids=True,
    )
    conv = _import(ws, first).conversation
    assert Insight.objects.get(conversation=conv).messages.count() == count
    second = Transcript(
        source="symbl",
        speakers=speakers,
        utterances=[Utterance(speaker_label="spk0", start=0, end=1, external_id="new")],
        insights=[
            InsightData(type="question", text="?", external_id="q", message_ids=("m0", "new"))
        ],
        global_speaker_ids=True,
    )
    transcript_import(
        workspace=ws, transcript=second, source_name="more.json", sha256="cd" * 32, into=conv
    )
    linked = Insight.objects.get(conversation=conv, external_id="q").messages
    assert sorted(linked.values_list("external_id", flat=True)) == ["m0", "new"]


@pytest.mark.django_db
def test_none_is_null_and_a_null_in_a_required_column_is_djangos_integrity_error():
    ws = factories.workspace()
    conv = factories.conversation(ws, members=1, messages=0)
    speaker = conv.members.get()
    row = (conv.pk, "no-job", speaker.pk, speaker.pk, "text", 1.0, 2.0, 0, None)
    imports._insert_messages([row])
    assert Message.objects.get(conversation=conv, external_id="no-job").job_id is None

    # ``text`` is NOT NULL: the error is Django's on both backends, and rolls back cleanly.
    bad = (conv.pk, "no-text", speaker.pk, speaker.pk, None, 1.0, 2.0, 0, None)
    with pytest.raises(IntegrityError), transaction.atomic():
        imports._insert_messages([bad])
    stored = Message.objects.filter(conversation=conv).values_list("external_id", flat=True)
    assert list(stored) == ["no-job"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"text": "nul\x00inside"}, "utterance 0: text"),
        ({"speaker_name": "Ana\x00"}, "speaker 0: name"),
        ({"external_id": "id\x00"}, "utterance 0: external_id"),
        ({"phrases": [{"text": "a\x00b"}]}, "insight 0: phrases"),
    ],
)
def test_a_nul_character_is_refused_naming_where_and_nothing_is_written(change, where):
    """PostgreSQL text and jsonb cannot hold U+0000; both backends refuse it the same way."""
    ws = factories.workspace()
    speakers = [Speaker(label="spk0", name=change.get("speaker_name"))]
    utterance = Utterance(
        speaker_label="spk0",
        start=0.0,
        end=1.0,
        text=change.get("text", "fine"),
        external_id=change.get("external_id", "m0"),
    )
    insight = InsightData(
        type="question", text="?", from_label="spk0", phrases=change.get("phrases", [])
    )
    transcript = Transcript(
        source="symbl", speakers=speakers, utterances=[utterance], insights=[insight]
    )
    with pytest.raises(ImportRejected) as caught:
        _import(ws, transcript)
    assert str(caught.value) == (
        f"{where} contains a NUL character (U+0000), which cannot be stored"
    )
    assert not Conversation.objects.filter(workspace=ws).exists()


@pytest.mark.django_db
def test_a_symbl_file_with_an_escaped_nul_is_refused_not_a_server_error():
    ws = factories.workspace()
    bundle = {
        "messages": [
            {
                "id": "m1",
                "text": "before\u0000after",
                "from": {"id": "u1", "name": "Ana"},
                "startTime": "2024-05-06T09:00:00Z",
                "endTime": "2024-05-06T09:00:02Z",
            }
        ]
    }
    data = json.dumps(bundle).encode()
    assert b"\\u0000" in data
    with pytest.raises(ImportRejected, match=r"utterance 0: text contains a NUL character"):
        file_import(workspace=ws, data=data, source_name="nul.json")
    assert not Conversation.objects.filter(workspace=ws).exists()


# -- a failure after the COPY ------------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    models = (Conversation, Job, Member, Message, Insight, Insight.messages.through)
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_copy_rolls_the_whole_import_back(monkeypatch):
    """No test transaction here: ``transcript_import``'s own transaction is the outermost one,
    and a failure once every row is written (messages and insight links) is a real ROLLBACK."""
    ws = factories.workspace()
    before = _counts()
    seen: list[int] = []
    write = imports._insert_rows

    def write_then_fail(model, fields, rows):
        write(model, fields, rows)
        if model is Insight.messages.through:  # the last bulk write: the insight links
            # The COPY ran on Django's connection, inside the import's transaction: its rows
            # are visible here, before the commit.
            assert connection.in_atomic_block
            seen.append(Message.objects.count() - before[3])
            raise RuntimeError("injected after the COPY")

    monkeypatch.setattr(imports, "_insert_rows", write_then_fail)
    transcript = awkward_transcript()
    with pytest.raises(RuntimeError, match="injected after the COPY"):
        _import(ws, transcript)
    assert seen == [len(transcript.utterances)]
    assert _counts() == before
    assert not connection.in_atomic_block
    monkeypatch.undo()
    assert _import(ws, transcript).created["messages"] == len(transcript.utterances)


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_appending_leaves_the_conversation_as_it_was(monkeypatch):
    ws = factories.workspace()
    conv = factories.conversation(ws, members=2, messages=5)
    before = _counts()
    rows_before = sorted(Message.objects.filter(conversation=conv).values_list())
    write = imports._insert_messages

    def write_then_fail(rows):
        write(rows)
        raise RuntimeError("injected after the COPY")

    monkeypatch.setattr(imports, "_insert_messages", write_then_fail)
    with pytest.raises(RuntimeError):
        _import(ws, awkward_transcript(insights=False), into=conv)
    assert _counts() == before
    assert sorted(Message.objects.filter(conversation=conv).values_list()) == rows_before


# -- ANALYZE after a large import -------------------------------------------------------------


def _analyzed(monkeypatch, ws, *, utterances: int, threshold: int, links: int) -> list[str]:
    """Import ``utterances`` utterances (and one insight linked to ``links`` of them) with
    ``ANALYZE_ROWS`` set to ``threshold``; return the ANALYZE statements run after commit."""
    transcript = Transcript(
        source="symbl",
        speakers=[Speaker(label="spk0")],
        utterances=[
            Utterance(speaker_label="spk0", start=i, end=i + 1, external_id=f"m{i}")
            for i in range(utterances)
        ],
        insights=[
            InsightData(type="question", text="?", message_ids=tuple(f"m{i}" for i in range(links)))
        ],
        global_speaker_ids=True,
    )
    monkeypatch.setattr(imports, "ANALYZE_ROWS", threshold)
    with CaptureQueriesContext(connection) as queries:
        _import(ws, transcript)
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]


@pytest.mark.django_db(transaction=True)
def test_an_import_of_at_least_analyze_rows_analyzes_the_tables_it_filled(monkeypatch):
    assert imports.ANALYZE_ROWS == 10_000  # lowered below to keep the test small
    messages = f'"{Message._meta.db_table}"'
    links = f'"{Insight.messages.through._meta.db_table}"'
    ws = factories.workspace()
    below = _analyzed(monkeypatch, ws, utterances=29, threshold=30, links=29)
    at = _analyzed(monkeypatch, ws, utterances=30, threshold=30, links=29)
    both = _analyzed(monkeypatch, ws, utterances=30, threshold=30, links=30)
    if connection.vendor == POSTGRESQL:
        assert (below, at, both) == ([], [f"ANALYZE {messages}"], [f"ANALYZE {messages}, {links}"])
    else:  # SQLite keeps no per-value statistics for a new conversation to make stale
        assert (below, at, both) == ([], [], [])


@pytest.mark.django_db
def test_analyze_waits_for_the_outermost_commit(monkeypatch, django_capture_on_commit_callbacks):
    """Inside a caller's transaction (a vendor result is stored in one), nothing is analyzed
    until that transaction commits: the statistics then sample rows every connection sees."""
    monkeypatch.setattr(imports, "ANALYZE_ROWS", 5)
    ws = factories.workspace()
    transcript = Transcript(
        source="rttm",
        speakers=[Speaker(label="spk0")],
        utterances=[Utterance(speaker_label="spk0", start=i, end=i + 1) for i in range(5)],
    )
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _import(ws, transcript)
        during = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    assert during == []
    assert len(callbacks) == (1 if connection.vendor == POSTGRESQL else 0)
