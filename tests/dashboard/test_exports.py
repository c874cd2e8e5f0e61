"""Export downloads from the dashboard: access, headers, content and query counts."""

from __future__ import annotations

import json

import pytest
import srt
import webvtt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diarization_portal.conversations.services.exports import FORMATS
from diarization_portal.conversations.services.imports import file_import
from diarization_portal.conversations.services.speakers import member_rename
from diarization_portal.workspaces.models import Role
from providers.formats import rttm
from tests import factories
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db


def export_url(conv, fmt: str) -> str:
    return reverse("dashboard:conversation_export", args=[conv.pk, fmt])


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def weekly(ws):
    data = (SAMPLES / "weekly-sync.symbl.json").read_bytes()
    conv = file_import(workspace=ws, data=data, source_name="weekly-sync.symbl.json").conversation
    member_rename(member=conv.members.get(name="Speaker 1"), name="Marcus Webb")
    return conv


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_viewer_downloads_the_export_as_an_attachment(client, ws, weekly, fmt):
    client.force_login(factories.user(ws, Role.VIEWER))

    response = client.get(export_url(weekly, fmt))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == f'attachment; filename="weekly-product-sync.{fmt}"'
    text = body(response)
    messages = weekly.messages.count()
    if fmt == "vtt":
        assert response["Content-Type"] == "text/vtt; charset=utf-8"
        captions = webvtt.from_string(text).captions
        assert len(captions) == messages
        assert "Marcus Webb" in {c.voice for c in captions}
    elif fmt == "srt":
        cues = list(srt.parse(text))
        assert len(cues) == messages
        assert any(c.content.startswith("Marcus Webb: ") for c in cues)
    elif fmt == "rttm":
        parsed = rttm.parse(text)
        assert len(parsed.utterances) == messages
        assert "Marcus_Webb" in {s.label for s in parsed.speakers}
    else:
        assert response["Content-Type"] == "application/json"
        bundle = json.loads(text)
        assert len(bundle["messages"]) == messages
        assert "Marcus Webb" in {m["name"] for m in bundle["members"]}


def test_the_conversation_page_offers_the_four_exports_to_a_viewer(client, ws, weekly):
    client.force_login(factories.user(ws, Role.VIEWER))

    html = client.get(reverse("dashboard:conversation_detail", args=[weekly.pk])).content.decode()

    assert 'id="export-menu"' in html
    for fmt in FORMATS:
        assert f'href="{export_url(weekly, fmt)}" download' in html


def test_non_members_get_a_404_and_anonymous_users_the_login_page(client, ws, weekly):
    response = client.get(export_url(weekly, "vtt"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))

    other = factories.workspace("Other")
    client.force_login(factories.user(other, Role.ADMIN))
    for fmt in FORMATS:
        assert client.get(export_url(weekly, fmt)).status_code == 404


def test_unknown_format_missing_conversation_and_post_are_refused(client, ws, weekly):
    client.force_login(factories.user(ws, Role.EDITOR))

    assert client.get(f"/c/{weekly.pk}/export.docx").status_code == 404
    assert (
        client.get(export_url(weekly, "vtt").replace(str(weekly.pk), "999999")).status_code == 404
    )
    assert client.post(export_url(weekly, "vtt")).status_code == 405


class QueryCount(CaptureQueriesContext):
    def sql(self) -> str:
        return "\n".join(q["sql"] for q in self.captured_queries)


def download_queries(client, url: str) -> tuple[QueryCount, str]:
    with QueryCount(connection) as ctx:
        response = client.get(url)
        text = body(response)  # the messages are read while the response streams
    assert response.status_code == 200
    return ctx, text


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_query_count_does_not_grow_with_messages(client, ws, fmt):
    small = factories.conversation(ws, members=3, messages=10, insights=2)
    big = factories.conversation(ws, members=3, messages=1000, insights=50)
    client.force_login(factories.user(ws, Role.VIEWER))

    few, small_text = download_queries(client, export_url(small, fmt))
    many, big_text = download_queries(client, export_url(big, fmt))

    assert big_text.count("\n") > 10 * small_text.count("\n")
    assert len(many) == len(few), f"10 messages:\n{few.sql()}\n\n1000 messages:\n{many.sql()}"
    # session, user, conversation, membership, members, messages (+ 2 insight queries in JSON)
    assert len(few) <= (8 if fmt == "json" else 6), few.sql()
