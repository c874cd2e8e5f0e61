"""``manage.py demo_setup``: the newcomer's demo, safe to run twice."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from diarization_portal.conversations.models import Conversation, Member, Message

pytestmark = pytest.mark.django_db


def test_demo_setup_creates_a_user_and_the_samples_once():
    out = StringIO()
    call_command("demo_setup", stdout=out)
    assert "log in as “demo” with password “diarize-demo”" in out.getvalue()
    # The login limits (django-axes) check every authentication against its request.
    login = RequestFactory().post("/login/")
    user = authenticate(login, username="demo", password="diarize-demo")
    assert user is not None and user.is_staff
    counts = (Conversation.objects.count(), Member.objects.count(), Message.objects.count())
    assert counts[0] == 3
    sync = Conversation.objects.get(title="Weekly product sync")
    # The appended second recording brings its own speakers: duplicates to merge.
    assert sync.members.filter(name="Priya Natarajan").count() == 2
    assert sync.insights.count() == 10
    call_command("demo_setup", stdout=StringIO())
    assert (Conversation.objects.count(), Member.objects.count(), Message.objects.count()) == counts
