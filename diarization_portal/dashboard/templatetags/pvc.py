"""Template filters for ElevenLabs PVC conversations."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pvc_job(jobs):
    """The last of ``jobs`` made for an ElevenLabs PVC sample (``options["product"] ==
    "pvc"``), or ``None``. Reads the loaded jobs only: no query."""
    found = [job for job in jobs or () if (job.options or {}).get("product") == "pvc"]
    return found[-1] if found else None
