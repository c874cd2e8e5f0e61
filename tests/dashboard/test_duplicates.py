"""The "Possible duplicates" panel of the conversation page: shown to editors, merge through
``member_merge`` and dismiss over htmx, query count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import DuplicateDismissal, Member
from diarization_portal.conversations.services.imports import file_import
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.conftest import SAMPLES
from tests.dashboard.test_views import HTMX, count_queries, detail_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def ws():
    return factories.workspace("Demo")


@pytest.fixture
def weekly(ws):
    """The demo's weekly sync with its second recording appended."""
    conv = file_import(
        workspace=ws,
        data=(SAMPLES / "weekly-sync.symbl.json").read_bytes(),
        source_name="weekly-sync.symbl.json",
        title="Weekly product sync",
    ).conversation
    file_import(
        workspace=ws,
        data=(SAMPLES / "weekly-sync-part2.srt").read_bytes(),
        source_name="weekly-sync-part2.srt",
        into=conv,
    )
    return conv


def panel(html: str) -> str:
    if 'id="duplicates"' not in html:
        return ""
    part = html[html.index('id="duplicates"') :]
    return part[: part.index("</section>")]


def test_editors_see_the_suggestions_with_what_a_merge_moves(client, ws, weekly):
    client.force_login(factories.user(ws, Role.EDITOR))
    shown = panel(client.get(detail_url(weekly)).content.decode())
    assert "Possible duplicates" in shown
    first, second = weekly.members.filter(name="Priya Natarajan").order_by("position")
    row = shown[shown.index(f'id="duplicate-{second.pk}-{first.pk}"') :]
    row = row[: row.index("</li>")]
    assert "Same name" in row and "Both are called “Priya Natarajan”." in row
    assert "Merging moves 6 messages and 0 insights." in row
    assert reverse("dashboard:member_merge", args=[weekly.pk, second.pk]) in row
    assert f'name="target" value="{first.pk}"' in row
    assert shown.count('class="duplicate"') == 3


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMENTER])
def test_readers_do_not_get_the_panel(client, ws, weekly, role):
    client.force_login(factories.user(ws, role))
    assert panel(client.get(detail_url(weekly)).content.decode()) == ""


def test_no_panel_without_candidates(client, ws):
    client.force_login(factories.user(ws, Role.EDITOR))
    conv = factories.conversation(ws, members=3, messages=30)
    assert 'id="duplicates"' not in client.get(detail_url(conv)).content.decode()


def test_merging_a_suggestion_swaps_the_body_without_it(client, ws, weekly):
    client.force_login(factories.user(ws, Role.EDITOR))
    first, second = weekly.members.filter(name="Priya Natarajan").order_by("position")
    url = reverse("dashboard:member_merge", args=[weekly.pk, second.pk])
    html = client.post(url, {"target": first.pk}, **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="conversation-body"')
    assert "Merged Priya Natarajan into Priya Natarajan: 6 messages" in html
    assert f'id="duplicate-{second.pk}-{first.pk}"' not in html
    assert panel(html).count('class="duplicate"') == 2
    assert weekly.messages.filter(member=first).count() == 14 + 6


def test_dismissing_a_suggestion_stores_it_and_hides_it(client, ws, weekly):
    user = factories.user(ws, Role.EDITOR)
    client.force_login(user)
    a = weekly.members.get(name="Speaker A")
    one = weekly.members.get(name="Speaker 1")
    url = reverse("dashboard:duplicate_dismiss", args=[weekly.pk])
    html = client.post(url, {"source": a.pk, "target": one.pk}, **HTMX).content.decode()
    assert "Speaker A and Speaker 1 are no longer suggested as one person." in html
    assert f'id="duplicate-{a.pk}-{one.pk}"' not in html
    assert panel(html).count('class="duplicate"') == 2
    dismissal = DuplicateDismissal.objects.get()
    assert (dismissal.source, dismissal.target, dismissal.user) == (a, one, user)
    # plain POST works too and stays idempotent
    response = client.post(url, {"source": one.pk, "target": a.pk})
    assert response.status_code == 302 and DuplicateDismissal.objects.count() == 1


def test_dismissing_refuses_bad_pairs_and_readers(client, ws, weekly):
    client.force_login(factories.user(ws, Role.EDITOR))
    url = reverse("dashboard:duplicate_dismiss", args=[weekly.pk])
    a = weekly.members.get(name="Speaker A")
    stranger = factories.conversation(ws).members.first()
    for data in [{"source": a.pk, "target": stranger.pk}, {"source": a.pk}, {"source": "x"}]:
        html = client.post(url, data, **HTMX).content.decode()
        assert "No such pair of speakers." in html
    html = client.post(url, {"source": a.pk, "target": a.pk}, **HTMX).content.decode()
    assert "No such pair of speakers." in html
    client.force_login(factories.user(ws, Role.VIEWER))
    one = weekly.members.get(name="Speaker 1")
    assert client.post(url, {"source": a.pk, "target": one.pk}).status_code == 403
    assert not DuplicateDismissal.objects.exists()


def test_detail_query_count_with_suggestions_does_not_grow_with_messages(client, ws):
    client.force_login(factories.user(ws, Role.EDITOR))
    counts = []
    for size in (10, 1000):
        conv = factories.conversation(ws, members=4, messages=size, insights=size // 4 or 1)
        people = list(conv.members.order_by("position"))
        Member.objects.filter(pk=people[3].pk).update(email="same@example.com")
        Member.objects.filter(pk=people[2].pk).update(email="same@example.com")
        ctx = count_queries(client, detail_url(conv))
        assert 'id="duplicates"' in client.get(detail_url(conv)).content.decode()
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
