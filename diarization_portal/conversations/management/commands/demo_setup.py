"""``manage.py demo_setup``: a demo workspace, a demo user and the bundled sample conversations.

Safe to run again: existing rows are kept and a sample already imported is skipped.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from diarization_portal.workspaces.models import Membership, Role, Workspace

from ...models import Conversation, Job
from ...services.imports import file_import

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# (file, title, file appended to it as a second recording); the list page shows the last first.
DEMO_CONVERSATIONS = [
    ("design-review.vtt", "Design review", None),
    ("customer-call.rttm", "Customer support call (diarization only)", None),
    ("weekly-sync.symbl.json", "Weekly product sync", "weekly-sync-part2.srt"),
]


class Command(BaseCommand):
    help = "Create the demo workspace and user and import the bundled sample conversations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default=os.getenv("DEMO_USERNAME", "demo"))
        parser.add_argument("--password", default=os.getenv("DEMO_PASSWORD", "diarize-demo"))

    @transaction.atomic
    def handle(self, *args, username: str, password: str, **options) -> None:
        workspace, _ = Workspace.objects.get_or_create(slug="demo", defaults={"name": "Demo team"})
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users.objects.create_superuser(username, f"{username}@example.com", password)
        Membership.objects.get_or_create(
            user=user, workspace=workspace, defaults={"role": Role.ADMIN}
        )
        for filename, title, appended in DEMO_CONVERSATIONS:
            conversation = self._import(workspace, filename, title=title)
            if appended:
                self._import(workspace, appended, into=conversation)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: log in as “{username}” with password “{password}” "
                f"(workspace “{workspace.name}”, {workspace.conversations.count()} conversations)."
            )
        )

    def _import(self, workspace, filename: str, *, title=None, into=None) -> Conversation:
        data = (SAMPLES / filename).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        done = (
            Job.objects.filter(conversation__workspace=workspace, source_sha256=sha)
            .select_related("conversation")
            .first()
        )
        if done is not None:
            return done.conversation
        result = file_import(
            workspace=workspace, data=data, source_name=filename, title=title, into=into
        )
        self.stdout.write(f"Imported {filename}: {result.as_dict()}")
        return result.conversation
