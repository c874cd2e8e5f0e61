"""Template filters for times in seconds."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def clock(seconds) -> str:
    """Format seconds as ``m:ss`` (or ``h:mm:ss`` from one hour), rounded: 75.6 → "1:16"."""
    if seconds is None:
        return ""
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def secs(seconds) -> str:
    """Format seconds with one decimal and a unit: 12.345 → "12.3 s"."""
    if seconds is None:
        return ""
    return f"{float(seconds):.1f} s"
