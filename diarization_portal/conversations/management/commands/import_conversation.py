"""``manage.py import_conversation PATH``: import a diarized transcript file.

The last line printed is JSON: ``{"conversation": ID, "members": N, "messages": N,
"insights": N, "created": {...}}``. A bad file exits non-zero with the file and the line or
field in the message, and writes nothing. The command imports files of any size within its
own process (``settings.IMPORT_MAX_BYTES`` is the web's limit); ``--max-bytes N`` refuses a
larger file before reading it.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from diarization_portal.workspaces.models import Workspace
from providers.formats import ALL_FORMATS
from providers.types import ParseError

from ...models import Conversation
from ...services.imports import ImportRejected, file_import


class Command(BaseCommand):
    help = "Import a Symbl JSON, RTTM, WebVTT or SRT file as a conversation (or append it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", default="auto", choices=("auto", *ALL_FORMATS))
        parser.add_argument("--workspace", help="workspace slug (default: the only one)")
        parser.add_argument("--title", help="conversation title (default: from the file)")
        parser.add_argument(
            "--into",
            type=int,
            metavar="CONVERSATION_ID",
            help="append the file to this conversation as a further recording",
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            metavar="N",
            help="refuse a file larger than N bytes (default: no limit)",
        )

    def handle(self, *args, path: Path, format: str, workspace: str | None, title, into, **kw):
        limit = kw.get("max_bytes")
        try:
            if limit is not None and path.stat().st_size > limit:
                size = path.stat().st_size
                raise CommandError(f"{path}: {size} bytes, larger than --max-bytes {limit}")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        target = None
        if into is not None:
            try:
                target = Conversation.objects.select_related("workspace").get(pk=into)
            except Conversation.DoesNotExist as exc:
                raise CommandError(f"--into: no conversation {into}") from exc
            if workspace and target.workspace.slug != workspace:
                raise CommandError(f"--into: conversation {into} is not in workspace {workspace}")
        try:
            # One transaction: a bad file leaves no default workspace behind either.
            with transaction.atomic():
                ws = target.workspace if target is not None else self._workspace(workspace)
                result = file_import(
                    workspace=ws,
                    data=data,
                    source_name=path.name,
                    format=format,
                    title=title,
                    into=target,
                )
        except ParseError as exc:
            raise CommandError(str(exc.with_source(str(path)) if not exc.source else exc)) from exc
        except ImportRejected as exc:
            raise CommandError(f"{path}: {exc}") from exc
        conv = result.conversation
        self.stderr.write(
            f"{'Appended to' if target else 'Imported'} conversation {conv.pk} "
            f"“{conv.title}” in {ws.slug}"
        )
        self.stdout.write(json.dumps(result.as_dict()))

    def _workspace(self, slug: str | None) -> Workspace:
        if slug:
            try:
                return Workspace.objects.get(slug=slug)
            except Workspace.DoesNotExist as exc:
                raise CommandError(f"--workspace: no workspace {slug!r}") from exc
        workspaces = list(Workspace.objects.all()[:2])
        if len(workspaces) == 1:
            return workspaces[0]
        if not workspaces:
            return Workspace.objects.create(name="Default", slug="default")
        raise CommandError("several workspaces exist: name one with --workspace SLUG")
