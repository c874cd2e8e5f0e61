"""Symbl Conversation API JSON (vendor-apis.md 1.5): bundle and plain forms, insights, errors."""

import copy
import json

import pytest

from providers.formats import symbl
from providers.types import InsightData, ParseError, Speaker

ANA = "2f69f1c8-bf0a-4f4e-9a57-0b1c2d3e4f50"
SPK1 = "9d6d34d9-5019-4a1e-8c2b-7e6f5a4b3c21"
SILENT = "77aa0000-0000-4000-8000-000000000001"
LUCY = "c99e7baf-1111-4222-8333-444455556666"

BUNDLE = {
    "conversation": {
        "id": "5120334411530240",
        "type": "meeting",
        "name": "Weekly sync",
        "startTime": "2024-03-04T10:00:00.000Z",
        "endTime": "2024-03-04T10:41:37.900Z",
    },
    "members": [
        {"id": SPK1, "name": "Speaker 1"},
        {"id": ANA, "name": "Ana Ruiz", "email": "ana@example.com"},
        {"id": SILENT, "name": "Silent Observer"},
    ],
    "messages": [
        {
            "id": "6412283618000896",
            "text": "Let's ship on Friday.",
            "from": {"id": ANA, "name": "Ana Ruiz", "email": "ana@example.com"},
            "startTime": "2024-03-04T10:03:12.500Z",
            "endTime": "2024-03-04T10:03:14.100Z",
            "timeOffset": 192.5,
            "duration": 1.6,
        },
        {
            "id": "6412283618000897",
            "text": "Works for me.",
            "from": {"id": SPK1, "name": "Speaker 1"},
            "startTime": "2024-03-04T10:03:15.000Z",
            "endTime": "2024-03-04T10:03:16.250Z",
        },
        {
            "id": "6412283618000898",
            "text": "I'll write the release notes.",
            "from": {"name": "Ravi", "userId": "ravi@example.com"},
            "timeOffset": 197.0,
            "duration": 2.0,
        },
        {
            "id": "6412283618000899",
            "text": "(inaudible)",
            "from": {},
            "startTime": "2024-03-04T10:03:20.000Z",
            "endTime": "2024-03-04T10:03:21.000Z",
        },
        {"id": "6412283618000900", "text": "Bye.", "timeOffset": 10.0, "duration": 0.5},
    ],
    "insights": [
        {
            "id": "4567077831573504",
            "text": "Ravi will send the revised quote tomorrow.",
            "type": "action_item",
            "score": 0.97,
            "messageIds": ["6412283618000898"],
            "entities": [{"type": "person", "text": "Ravi", "value": {"assignee": True}}],
            "phrases": [{"type": "action_phrase", "text": "send the revised quote"}],
            "from": {"id": LUCY, "name": "Lucy", "userId": "lucy@example.com"},
            "definitive": True,
            "assignee": {"name": "Ravi", "email": "ravi@example.com"},
            "dueBy": "2024-03-05T07:00:00.000Z",
        },
        {"id": "1", "text": "Who owns QA?", "type": "question", "from": {"id": SPK1}},
        {"id": "2", "text": "a topic", "type": "topic"},
    ],
    "actionItems": [
        # same id as in "insights": kept once
        {"id": "4567077831573504", "text": "Ravi will send the revised quote tomorrow."}
    ],
    "questions": [{"id": "3", "text": "Friday or Monday?", "from": {"name": "Speaker 1"}}],
    "followUps": [
        {"id": "4", "text": "Check in next week.", "from": {}, "assignee": {}, "messageIds": []}
    ],
}


def parse(data):
    return symbl.parse(json.dumps(data))


def test_bundle_speakers_follow_the_label_rule():
    transcript = parse(BUNDLE)

    assert transcript.source == "symbl"
    assert transcript.global_speaker_ids is True
    assert transcript.title == "Weekly sync"
    assert transcript.started_at == "2024-03-04T10:00:00.000Z"
    assert transcript.speakers == [
        Speaker(label=SPK1, name="Speaker 1"),
        Speaker(label=ANA, name="Ana Ruiz", email="ana@example.com"),
        Speaker(label=SILENT, name="Silent Observer"),  # a member who never speaks
        Speaker(label="ravi@example.com", name="Ravi", email="ravi@example.com"),
        Speaker(label="unknown"),
        Speaker(label=LUCY, name="Lucy", email="lucy@example.com"),  # only named by an insight
    ]


def test_bundle_utterance_times_ids_and_order():
    transcript = parse(BUNDLE)

    got = [(u.speaker_label, u.start, u.end, u.text, u.external_id) for u in transcript.utterances]
    assert got == [
        ("unknown", 10.0, 10.5, "Bye.", "6412283618000900"),  # no `from` at all
        (ANA, 192.5, pytest.approx(194.1), "Let's ship on Friday.", "6412283618000896"),
        # no timeOffset: startTime - conversation startTime; no duration: endTime
        (SPK1, 195.0, 196.25, "Works for me.", "6412283618000897"),
        ("ravi@example.com", 197.0, 199.0, "I'll write the release notes.", "6412283618000898"),
        ("unknown", 200.0, 201.0, "(inaudible)", "6412283618000899"),
    ]
    assert transcript.has_text


def test_bundle_insights_are_merged_deduplicated_and_resolved():
    insights = parse(BUNDLE).insights

    assert [(i.type, i.external_id) for i in insights] == [
        ("action_item", "4567077831573504"),
        ("question", "1"),
        ("question", "3"),
        ("follow_up", "4"),
    ]
    action = insights[0]
    assert action == InsightData(
        type="action_item",
        text="Ravi will send the revised quote tomorrow.",
        external_id="4567077831573504",
        score=0.97,
        from_label=LUCY,
        # assignee without id is matched to the speaker with that email
        assignee_label="ravi@example.com",
        message_ids=("6412283618000898",),
        phrases=[{"type": "action_phrase", "text": "send the revised quote"}],
        entities=[{"type": "person", "text": "Ravi", "value": {"assignee": True}}],
        definitive=True,
        due_by="2024-03-05T07:00:00.000Z",
    )
    assert insights[1].from_label == SPK1
    assert insights[2].from_label == SPK1  # name-only person matched to the unique member
    assert (insights[3].from_label, insights[3].assignee_label) == (None, None)


def test_get_conversation_fields_at_top_level():
    data = {
        "id": "5120334411530240",
        "name": "Top level",
        "startTime": "2024-03-04T10:00:01.120Z",
        "members": [{"id": ANA, "name": "Ana"}],
        "messages": [
            {
                "id": "1",
                "text": "hi",
                "from": {"id": ANA, "name": "Ana"},
                "startTime": "2024-03-04T10:00:03.120Z",
                "endTime": "2024-03-04T10:00:04.620Z",
            }
        ],
    }

    transcript = parse(data)

    assert transcript.title == "Top level"
    assert transcript.started_at == "2024-03-04T10:00:01.120Z"
    assert [(u.start, u.end) for u in transcript.utterances] == [(2.0, 3.5)]


def test_plain_messages_form_is_relative_to_the_earliest_message():
    data = {
        "messages": [
            {
                "id": "2",
                "text": "second",
                "from": {"name": "Speaker 2"},
                "startTime": "2024-03-04T10:00:05.000Z",
                "endTime": "2024-03-04T10:00:06.000Z",
            },
            {
                "id": "1",
                "text": "first",
                "from": {"name": "Speaker 1"},
                "startTime": "2024-03-04T10:00:02.500Z",
                "endTime": "2024-03-04T10:00:04.000Z",
            },
        ]
    }

    transcript = parse(data)

    assert [(u.speaker_label, u.start, u.end) for u in transcript.utterances] == [
        ("Speaker 1", 0.0, 1.5),
        ("Speaker 2", 2.5, 3.5),
    ]
    assert [s.name for s in transcript.speakers] == ["Speaker 2", "Speaker 1"]
    assert transcript.title is None and transcript.started_at is None
    assert transcript.insights == []


def test_parse_data_accepts_decoded_json_and_bytes_accepted_by_parse():
    assert symbl.parse_data(BUNDLE).utterances == parse(BUNDLE).utterances
    assert symbl.parse(json.dumps(BUNDLE).encode("utf-8-sig")).speakers == parse(BUNDLE).speakers


def broken(path, value):
    """BUNDLE with the value at ``path`` (a tuple of keys/indexes) replaced; ... deletes."""
    data = copy.deepcopy(BUNDLE)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "location", "reason"),
    [
        (("messages", 3, "text"), ..., "messages[3].text", "missing text"),
        (("messages", 2, "text"), 42, "messages[2].text", "must be a string"),
        (("messages", 0, "timeOffset"), "soon", "messages[0].timeOffset", "non-numeric"),
        (("messages", 0, "duration"), -1, "messages[0].duration", ">= 0"),
        (
            ("messages", 1, "endTime"),
            "2024-03-04T10:03:14.000Z",
            "messages[1].endTime",
            "end before start",
        ),
        (("messages", 1, "startTime"), "yesterday", "messages[1].startTime", "ISO 8601"),
        (("messages", 4, "timeOffset"), ..., "messages[4]", "neither timeOffset nor startTime"),
        (("messages", 2, "from"), "Ravi", "messages[2].from", "expected an object"),
        (("messages",), {"a": 1}, "messages", "array"),
        (("messages",), ..., "messages", "missing"),
        (("members", 1), {}, "members[1]", "no id"),
        (("insights", 0, "text"), ..., "insights[0].text", "missing text"),
        (("insights", 1, "type"), ..., "insights[1].type", "missing insight type"),
        (("insights", 0, "definitive"), "yes", "insights[0].definitive", "true or false"),
        (("conversation", "startTime"), "10 am", "conversation.startTime", "ISO 8601"),
    ],
)
def test_malformed_bundle_names_the_json_path(path, value, location, reason):
    with pytest.raises(ParseError) as caught:
        parse(broken(path, value))

    assert caught.value.location == location
    assert reason in caught.value.reason
    assert location in str(caught.value)


def test_invalid_json_names_line_and_column():
    with pytest.raises(ParseError) as caught:
        symbl.parse('{\n  "messages": [\n    {"text": "hi",}\n  ]\n}')

    assert caught.value.location == "line 3 column 19"
    assert caught.value.reason.startswith("invalid JSON")


def test_top_level_array_is_rejected():
    with pytest.raises(ParseError, match="expected a JSON object"):
        symbl.parse("[]")
