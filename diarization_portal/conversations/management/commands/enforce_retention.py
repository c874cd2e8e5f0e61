"""``manage.py enforce_retention [--dry-run] [--workspace SLUG]``: apply the retention policy
of every workspace now (what the hourly schedule does).

Prints one line per workspace with an active policy, then, as the last line, the JSON report:
``[{"workspace": slug, "run": id or null, "dry_run": bool, "cutoff": ISO time,
"counts": {"conversations": N, "audio_files": N, "messages": N, "insights": N,
"members": N}, "conversations": [[id, "audio"|"conversation"], ...], "skipped": [id, ...]}]``.
``--dry-run`` deletes and records nothing and lists what would go.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from diarization_portal.workspaces.models import Workspace

from ...services.retention import retention_enforce, retention_enforce_all


class Command(BaseCommand):
    help = "Delete audio and/or transcripts past each workspace's retention period."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be deleted, delete nothing"
        )
        parser.add_argument("--workspace", help="only this workspace (slug)")

    def handle(self, *args, dry_run: bool, workspace: str | None, **options) -> None:
        if workspace:
            ws = Workspace.objects.filter(slug=workspace).first()
            if ws is None:
                raise CommandError(f"no workspace {workspace!r}")
            reports = [retention_enforce(workspace=ws, dry_run=dry_run)]
        else:
            reports = retention_enforce_all(dry_run=dry_run)
        for report in reports:
            self.stdout.write(report.summary())
        rows = [
            {
                "workspace": r.workspace_slug,
                "run": r.run_id,
                "dry_run": r.dry_run,
                "cutoff": r.cutoff.isoformat() if r.cutoff else None,
                "counts": {
                    k: r.counts[k]
                    for k in ("conversations", "audio_files", "messages", "insights", "members")
                },
                "conversations": [[pk, str(action)] for pk, action in r.conversations],
                "skipped": r.skipped,
            }
            for r in reports
        ]
        self.stdout.write(json.dumps(rows))
