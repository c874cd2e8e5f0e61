"""Possible duplicates on the conversation page: dismiss a suggestion.

Merging a suggestion goes through the existing ``dashboard:member_merge`` view; both answer
htmx with the re-rendered ``#conversation-body`` and a plain POST with a redirect.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from diarization_portal.conversations.models import Member
from diarization_portal.conversations.services import duplicates, speakers

from .views import _after_edit, _conversation


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Say that the suggested pair (``source``, ``target`` member ids) are different people:
    the pair is no longer suggested."""
    conversation, membership = _conversation(request, pk, edit=True)
    ids = [request.POST.get("source", ""), request.POST.get("target", "")]
    found = {
        m.pk: m
        for m in Member.objects.filter(
            conversation=conversation, pk__in=[int(i) for i in ids if i.isdigit()]
        )
    }
    if len(found) != 2 or not all(i.isdigit() and int(i) in found for i in ids):
        return _after_edit(request, conversation, membership, error="No such pair of speakers.")
    source, target = found[int(ids[0])], found[int(ids[1])]
    try:
        duplicates.duplicate_dismiss(source=source, target=target, user=request.user)
    except speakers.SpeakerOperationError as exc:
        return _after_edit(request, conversation, membership, error=str(exc))
    note = f"{source.name} and {target.name} are no longer suggested as one person."
    return _after_edit(request, conversation, membership, note=note)
