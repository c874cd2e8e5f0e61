"""Jobs: ``GET /jobs/{id}``, ``GET /conversations/{id}/jobs`` and Symbl's job status
``GET /job/{jobId}`` (vendor-apis.md §1.3), for any member of the job's workspace; and
``POST /jobs/{id}/retry`` for editors and admins (the dashboard's Retry,
:func:`diarization_portal.sync.services.job_retry`).

A job of a workspace the caller does not belong to is a 404, like a job that does not exist.
A job that cannot be retried (still active or done, a file import or a push, its account
deleted or missing a secret) is a 409 ``conflict`` whose message says why: the request is
sound, the job's current state refuses it.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from diarization_portal.conversations.models import Job
from diarization_portal.sync import services
from diarization_portal.workspaces.access import membership_for

from ..access import MAX_PK
from ..exceptions import Conflict
from ..pagination import paged
from ..schema import error_response
from ..serializers.jobs import JobSerializer, SymblJobSerializer
from .base import ConversationItemList


def job_for(request, pk: int, *, edit: bool = False) -> Job:
    """The job ``pk`` with its account and conversation, when the user is a member of its
    workspace; ``NotFound`` ("No such job") otherwise, and ``PermissionDenied`` when ``edit``
    is asked of a viewer or commenter."""
    job = (
        Job.objects.select_related("account", "conversation").filter(pk=pk).first()
        if 0 < pk <= MAX_PK
        else None
    )
    if job is None:
        raise NotFound("No such job")
    try:
        membership_for(request.user, job.conversation.workspace_id, edit=edit)
    except Http404:
        raise NotFound("No such job") from None
    return job


class JobScoped(APIView):
    """Base of the views under ``/jobs/{id}``: a method the endpoint lacks is a 405 only for
    members of the job's workspace, a 404 for anyone else."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        job_for(request, kwargs["pk"])
        return super().http_method_not_allowed(request, *args, **kwargs)


class JobDetail(JobScoped):
    """One job."""

    @extend_schema(
        operation_id="jobs_retrieve",
        summary="Get a job",
        description=(
            "A file import, a recording sent to a vendor (`process`, `append`) or a push of "
            "member names, with its state (`queued → submitted → processing → importing → "
            "done`, or `failed` / `rejected` with `errorType` and `errorMessage`)."
        ),
        responses={200: JobSerializer},
        tags=["jobs"],
    )
    def get(self, request, pk: int):
        return Response(JobSerializer(job_for(request, pk)).data)


class JobRetry(JobScoped):
    """Start a failed or rejected vendor job again."""

    @extend_schema(
        operation_id="jobs_retry",
        summary="Retry a failed job",
        description=(
            "Starts a `failed` or `rejected` recording job (`process` or `append`) again, as "
            "the dashboard's Retry does: from a fresh submit when the vendor never took it or "
            "its own job ended, else from the poll or the import that failed. `attempts` "
            "restarts at 0 and the error is cleared. Replies with the job as it now is. "
            "Editors and admins. A job that cannot be retried (active or done, a file import "
            "or a push, its account deleted or missing a secret) is a 409 `conflict` whose "
            "`message` says why."
        ),
        request=None,
        responses={200: JobSerializer, 409: error_response(409)},
        tags=["jobs"],
    )
    def post(self, request, pk: int):
        job = job_for(request, pk, edit=True)
        try:
            services.job_retry(job_id=job.pk)
        except services.RetryRefused as err:
            raise Conflict(f"Cannot retry this job: {err}.") from None
        job = Job.objects.select_related("account", "conversation").get(pk=job.pk)
        return Response(JobSerializer(job).data)


class SymblJobStatus(JobScoped):
    """Symbl's ``GET /v1/job/{jobId}``."""

    @extend_schema(
        operation_id="job_status_retrieve",
        summary="Get a job's status (Symbl's Job API)",
        description=(
            "Symbl's job status for the `jobId` a `/process/...` call returned: "
            "`{id, status}` with `scheduled` (queued), `in_progress` (submitted, processing, "
            "importing), `completed` (done: the conversation holds the result) or `failed` "
            "(failed or rejected; `GET /jobs/{id}` tells why)."
        ),
        responses={200: SymblJobSerializer},
        tags=["jobs"],
    )
    def get(self, request, pk: int):
        return Response(SymblJobSerializer(job_for(request, pk)).data)


class ConversationJobList(ConversationItemList):
    """The jobs of a conversation, oldest first (the order its recordings came in)."""

    serializer_class = JobSerializer
    pagination_class = paged("jobs", default_limit=100, max_limit=500)

    def items(self, conversation):
        return conversation.jobs.select_related("account").order_by("created_at", "pk")

    @extend_schema(
        operation_id="conversations_jobs_list",
        summary="List a conversation's jobs",
        description="Oldest first. Reply: `{jobs: [...], limit, offset, total}`.",
        tags=["jobs"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
