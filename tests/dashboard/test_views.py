"""Dashboard pages: access rules, speaker edits over htmx and plain POST, uploads, query counts."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diarization_portal.conversations.models import Conversation, Member, Message, SpeakerEdit
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "conversation-body"}


@pytest.fixture
def ws():
    return factories.workspace("Acme")


@pytest.fixture
def editor(ws):
    return factories.user(ws, Role.EDITOR)


def login(client, user):
    client.force_login(user)
    return client


def detail_url(conv) -> str:
    return reverse("dashboard:conversation_detail", args=[conv.pk])


def rename_url(conv, member) -> str:
    return reverse("dashboard:member_rename", args=[conv.pk, member.pk])


class QueryCount(CaptureQueriesContext):
    """Capture queries; on a mismatch, the assertion shows the SQL (zulip style)."""

    def sql(self) -> str:
        return "\n".join(q["sql"] for q in self.captured_queries)


def count_queries(client, url: str) -> QueryCount:
    with QueryCount(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return ctx


# --- access -----------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, ws):
    conv = factories.conversation(ws)
    response = client.get(detail_url(conv))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_another_workspaces_conversation_is_a_404(client, ws):
    other = factories.workspace("Other")
    stranger = factories.user(other, Role.ADMIN)
    conv = factories.conversation(ws)
    member = conv.members.first()
    login(client, stranger)
    assert client.get(detail_url(conv)).status_code == 404
    assert client.post(rename_url(conv, member), {"name": "X"}).status_code == 404
    assert client.get(reverse("dashboard:conversation_list", args=[ws.slug])).status_code == 404
    member.refresh_from_db()
    assert member.name == "Speaker 1"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMENTER])
def test_viewers_and_commenters_read_but_cannot_edit(client, ws, role):
    conv = factories.conversation(ws)
    member = conv.members.first()
    login(client, factories.user(ws, role))
    page = client.get(detail_url(conv))
    assert page.status_code == 200
    assert b">Rename</summary>" not in page.content
    assert b'id="selection"' not in page.content
    for url, data in [
        (rename_url(conv, member), {"name": "X"}),
        (reverse("dashboard:member_merge", args=[conv.pk, member.pk]), {"target": 1}),
        (reverse("dashboard:messages_reassign", args=[conv.pk]), {"messages": [1], "member": 1}),
        (reverse("dashboard:messages_split", args=[conv.pk]), {"messages": [1], "name": "X"}),
        (reverse("dashboard:conversation_import", args=[ws.slug]), {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert not SpeakerEdit.objects.exists()


def test_home_redirects_to_the_first_workspace(client, ws, editor):
    login(client, editor)
    response = client.get(reverse("dashboard:home"))
    assert response.url == reverse("dashboard:conversation_list", args=[ws.slug])


def test_home_without_workspace_explains_it(client):
    login(client, factories.user())
    assert b"No workspace yet" in client.get(reverse("dashboard:home")).content


# --- speaker edits ----------------------------------------------------------------------------


def names_in(html: str, member_pk: int) -> list[str]:
    return re.findall(rf'class="member-name[^"]*" data-member="{member_pk}">([^<]*)<', html)


def test_htmx_rename_returns_the_body_with_the_new_name_everywhere(client, ws, editor):
    conv = factories.conversation(ws, members=3, messages=30, insights=9)
    member = conv.members.get(name="Speaker 1")
    login(client, editor)
    response = client.post(rename_url(conv, member), {"name": "Ada Lovelace"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="conversation-body"')
    shown = names_in(html, member.pk)
    # speakers panel + one per turn of the member + every insight from/assignee
    insights = conv.insights.filter(from_member=member).count()
    insights += conv.insights.filter(assignee=member).count()
    assert len(shown) >= 1 + 4 + insights
    assert set(shown) == {"Ada Lovelace"}
    assert "Renamed Speaker 1 to Ada Lovelace" in html


def test_plain_post_rename_redirects_back_and_flashes(client, ws, editor):
    conv = factories.conversation(ws)
    member = conv.members.first()
    login(client, editor)
    response = client.post(rename_url(conv, member), {"name": "Grace", "email": ""})
    assert response.status_code == 302
    assert response.url == detail_url(conv)
    page = client.get(response.url).content.decode()
    assert "Renamed Speaker 1 to Grace" in page
    assert set(names_in(page, member.pk)) == {"Grace"}


def test_rename_with_an_email_of_another_member_merges(client, ws, editor):
    conv = factories.conversation(ws, members=2, messages=12)
    a, b = conv.members.order_by("position")
    Member.objects.filter(pk=b.pk).update(email="bob@example.com")
    login(client, editor)
    client.post(rename_url(conv, a), {"name": "Bob?", "email": "Bob@Example.com"}, **HTMX)
    a.refresh_from_db()
    assert a.merged_into_id == b.pk
    assert Message.objects.filter(conversation=conv).exclude(member=b).count() == 0


def test_invalid_rename_shows_the_error_and_changes_nothing(client, ws, editor):
    conv = factories.conversation(ws)
    member = conv.members.first()
    login(client, editor)
    response = client.post(rename_url(conv, member), {"name": "  "}, **HTMX)
    assert "name: This field is required." in response.content.decode()
    member.refresh_from_db()
    assert member.name == "Speaker 1"


def test_merge_reassign_split_and_undo_through_the_dashboard(client, ws, editor):
    conv = factories.conversation(ws, members=3, messages=18, insights=3)
    s1, s2, s3 = conv.members.order_by("position")
    login(client, editor)
    merge = reverse("dashboard:member_merge", args=[conv.pk, s3.pk])
    assert (
        "Merged Speaker 3 into Speaker 2"
        in client.post(merge, {"target": s2.pk}, **HTMX).content.decode()
    )
    assert not conv.messages.filter(member=s3).exists()

    first = conv.messages.order_by("start").first()
    reassign = reverse("dashboard:messages_reassign", args=[conv.pk])
    client.post(reassign, {"messages": [first.pk], "member": s2.pk}, **HTMX)
    first.refresh_from_db()
    assert first.member_id == s2.pk

    split = reverse("dashboard:messages_split", args=[conv.pk])
    picked = list(conv.messages.filter(member=s1).values_list("pk", flat=True)[:2])
    html = client.post(split, {"messages": picked, "name": "Guest"}, **HTMX).content.decode()
    guest = conv.members.get(name="Guest")
    assert set(conv.messages.filter(member=guest).values_list("pk", flat=True)) == set(picked)
    assert "Split 2 messages into new speaker Guest" in html

    for edit in SpeakerEdit.objects.filter(conversation=conv).order_by("-pk"):
        undo = reverse("dashboard:edit_undo", args=[conv.pk, edit.pk])
        assert client.post(undo, **HTMX).status_code == 200
    assert not SpeakerEdit.objects.filter(conversation=conv, undone_at__isnull=True).exists()
    assert conv.messages.filter(member_id=models_f("diarized_member_id")).count() == 18
    assert list(conv.members.live().values_list("name", flat=True)) == [
        "Speaker 1",
        "Speaker 2",
        "Speaker 3",
    ]


def models_f(name: str):
    from django.db.models import F

    return F(name)


def test_undo_blocked_by_a_later_edit_is_refused_with_a_reason(client, ws, editor):
    conv = factories.conversation(ws)
    member = conv.members.first()
    login(client, editor)
    client.post(rename_url(conv, member), {"name": "One"}, **HTMX)
    client.post(rename_url(conv, member), {"name": "Two"}, **HTMX)
    first = SpeakerEdit.objects.filter(conversation=conv).order_by("pk").first()
    html = client.post(
        reverse("dashboard:edit_undo", args=[conv.pk, first.pk]), **HTMX
    ).content.decode()
    assert "Cannot undo: undo “Renamed One to Two” first" in html
    member.refresh_from_db()
    assert member.name == "Two"


def test_selection_without_ticks_asks_for_them(client, ws, editor):
    conv = factories.conversation(ws)
    login(client, editor)
    url = reverse("dashboard:messages_reassign", args=[conv.pk])
    html = client.post(url, {"member": conv.members.first().pk}, **HTMX).content.decode()
    assert "Tick at least one message first." in html


# --- import form ------------------------------------------------------------------------------


def test_upload_imports_a_file_and_opens_the_conversation(client, ws, editor):
    login(client, editor)
    upload = SimpleUploadedFile("call.rttm", (SAMPLES / "customer-call.rttm").read_bytes())
    url = reverse("dashboard:conversation_import", args=[ws.slug])
    response = client.post(url, {"file": upload, "format": "auto", "title": "Call"})
    conv = Conversation.objects.get(workspace=ws)
    assert response.url == detail_url(conv)
    assert (conv.title, conv.members.count(), conv.messages.count()) == ("Call", 3, 60)


def test_upload_of_a_broken_file_shows_the_line_and_writes_nothing(client, ws, editor):
    login(client, editor)
    upload = SimpleUploadedFile(
        "bad.rttm", b"SPEAKER x 1 0.5 1.0 <NA> <NA> a <NA> <NA>\nSPEAKER x 1 oops\n"
    )
    url = reverse("dashboard:conversation_import", args=[ws.slug])
    response = client.post(url, {"file": upload, "format": "auto"})
    assert response.status_code == 400
    assert "bad.rttm" in response.content.decode()
    assert "line 2" in response.content.decode()
    assert not Conversation.objects.exists()


def test_append_recording_adds_new_members_to_the_conversation(client, ws, editor):
    login(client, editor)
    conv = factories.conversation(ws, members=2, messages=6)
    upload = SimpleUploadedFile("part2.srt", (SAMPLES / "weekly-sync-part2.srt").read_bytes())
    url = reverse("dashboard:recording_append", args=[conv.pk])
    response = client.post(url, {"file": upload, "format": "auto"})
    assert response.url == detail_url(conv)
    assert conv.members.count() == 5
    assert conv.messages.count() == 6 + 13


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["detail", "list"])
def test_query_count_does_not_grow_with_messages(client, ws, editor, page):
    login(client, editor)
    small = factories.conversation(ws, members=3, messages=10, insights=3, title="small")
    big = factories.conversation(ws, members=8, messages=1000, insights=300, title="big")
    for conv in (small, big):  # some history on both
        member = conv.members.first()
        client.post(rename_url(conv, member), {"name": "Renamed"}, **HTMX)
    if page == "detail":
        few = count_queries(client, detail_url(small))
        many = count_queries(client, detail_url(big))
    else:
        url = reverse("dashboard:conversation_list", args=[ws.slug])
        few = count_queries(client, url)
        for n in range(5):
            factories.conversation(ws, messages=1000, title=f"more {n}")
        many = count_queries(client, url)
    assert len(many) == len(few), f"{len(few)} vs {len(many)} queries:\n{many.sql()}"
    assert len(few) <= 16, few.sql()  # detail: 12, + up to 4 for the duplicate suggestions


def test_list_page_shows_figures_of_each_conversation(client, ws, editor):
    login(client, editor)
    factories.conversation(ws, members=3, messages=40, insights=6, title="Quarterly review")
    html = client.get(reverse("dashboard:conversation_list", args=[ws.slug])).content.decode()
    row = html[html.index("Quarterly review") :]
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)[:4]
    assert cells == ["3", "40", "6", "1:20"]
