"""Reading and checking a recording submit (Symbl's Async API shape, vendor-apis.md §1.2) and
creating its job: the fields from the query string and the body or form, the provider account,
the vendor's options, the recording (URL, multipart file or raw body). Used by
:mod:`.views.process`, whose docstring gives the decisions (diarization always on, webhooks
refused, other Symbl options ignored and listed).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from rest_framework import status
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.response import Response

from diarization_portal.conversations.models import Conversation, JobKind
from diarization_portal.sync.adapters import VendorAdapter, adapters
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import JobInputError, job_create
from diarization_portal.workspaces.access import membership_for
from diarization_portal.workspaces.models import Membership, Role

from .exceptions import Conflict, QueryValidationError
from .serializers.process import (
    MAX_RECORDING_BYTES,
    VENDOR_OPTIONS,
    FileSubmitFormSerializer,
    SubmitQuerySerializer,
)
from .views.base import parse_query

#: Symbl options the portal refuses, and why.
REFUSED = {
    "webhookUrl": "the portal does not call webhooks back: poll GET /api/v1/job/{jobId}",
}
CHUNK_BYTES = 1024 * 1024
#: File extensions of the content types Symbl names (vendor-apis.md §1.2) that ``mimetypes``
#: does not know; the vendors read the type back from the stored file's name.
EXTENSIONS = {"audio/wav": ".wav", "audio/wave": ".wav", "audio/mp3": ".mp3", "audio/mpeg": ".mp3"}


@dataclass
class Submission:
    """The validated fields of a submit (from the query string and the body or form; the body
    wins), where each came from (``"query"`` or ``"body"``) and the fields not used."""

    values: dict
    where: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def fail(self, name: str, message) -> None:
        """Raise a 400 ``validation_error`` naming ``name`` where it came from (``message``: a
        sentence, or nested errors ``{subfield: [...]}``)."""
        detail = {name: message if isinstance(message, dict) else [message]}
        if self.where.get(name) == "query":
            raise QueryValidationError(detail)
        raise ValidationError(detail)


def read_submission(request, body_serializer=None) -> Submission:
    """Validate the query string (always) and the body or form (with ``body_serializer``)."""
    query = parse_query(request, SubmitQuerySerializer)
    known = SubmitQuerySerializer().fields
    sub = Submission(values=dict(query), where=dict.fromkeys(query, "query"))
    unused = {key: "query" for key in request.query_params if key not in known}
    if body_serializer is not None:
        body = body_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        sub.values.update(body.validated_data)
        sub.where.update(dict.fromkeys(body.validated_data, "body"))
        fields = body_serializer().fields
        unused.update({key: "body" for key in request.data if key not in fields})
    for name, reason in REFUSED.items():
        if name in unused:
            sub.where[name] = unused[name]
            sub.fail(name, reason)
    sub.ignored = sorted(unused)
    if sub.values.get("enableSpeakerDiarization") is False:
        sub.fail(
            "enableSpeakerDiarization",
            "the portal always diarizes: leave it out or send true",
        )
    return sub


# -- the provider account ---------------------------------------------------------------------


def _adapter(account: ProviderAccount) -> VendorAdapter:
    """The account's vendor adapter (the base adapter's defaults for a vendor without one)."""
    return adapters.get(account.vendor, VendorAdapter())


def _ready(account: ProviderAccount, sub: Submission) -> ProviderAccount:
    missing = account.missing_secrets()
    if missing:
        sub.fail(
            "accountId",
            f"{account.label} is missing {', '.join(missing)}: a workspace admin must set it",
        )
    if _adapter(account).needs_webhook and not getattr(settings, "PUBLIC_BASE_URL", ""):
        sub.fail(
            "accountId",
            f"{_adapter(account).label} answers only by webhook, and this portal has no public "
            "address (PUBLIC_BASE_URL) for it to call",
        )
    return account


def account_for_new(request, sub: Submission) -> ProviderAccount:
    """The account ``accountId`` names (in a workspace the user edits: 403 if they only read
    it), or the user's only account in the workspaces they edit."""
    if "accountId" in sub.values:
        account = ProviderAccount.objects.filter(
            pk=int(sub.values["accountId"]), workspace__memberships__user=request.user
        ).first()
        if account is None:
            sub.fail("accountId", "no such provider account in your workspaces")
        membership_for(request.user, account.workspace_id, edit=True)
        return _ready(account, sub)
    editable = Membership.objects.filter(
        user=request.user, role__in=(Role.ADMIN, Role.EDITOR)
    ).values("workspace_id")
    accounts = list(ProviderAccount.objects.filter(workspace_id__in=editable).order_by("pk")[:2])
    if not accounts:
        sub.fail(
            "accountId",
            "you have no provider account to send recordings with: a workspace admin adds one",
        )
    if len(accounts) > 1:
        sub.fail("accountId", "you have several provider accounts: choose one (GET /accounts)")
    return _ready(accounts[0], sub)


def account_for_append(conversation: Conversation, sub: Submission) -> ProviderAccount:
    """The account ``accountId`` names in the conversation's workspace, or the account of the
    conversation's latest vendor job; of the conversation's vendor. Symbl appends into the
    Symbl conversation, so the first recording must have been submitted (409 otherwise)."""
    if "accountId" in sub.values:
        account = ProviderAccount.objects.filter(
            pk=int(sub.values["accountId"]), workspace_id=conversation.workspace_id
        ).first()
        if account is None:
            sub.fail("accountId", "no such provider account in this conversation's workspace")
    else:
        latest = (
            conversation.jobs.exclude(account=None).select_related("account").order_by("-pk")
        ).first()
        if latest is None:
            sub.fail(
                "accountId",
                "this conversation has no vendor job to take the account from: give accountId",
            )
        account = latest.account
    if account.vendor != conversation.vendor:
        sub.fail(
            "accountId",
            f"this conversation came from {conversation.get_vendor_display()}: append with an "
            "account of that vendor",
        )
    if _adapter(account).appends_to_vendor_conversation and not conversation.external_id:
        raise Conflict(
            "This conversation has no Symbl conversation yet: wait until its first recording "
            "is submitted, then append."
        )
    return _ready(account, sub)


# -- vendor options and the recording -------------------------------------------------------


def vendor_options(account: ProviderAccount, sub: Submission) -> dict:
    """``Job.options`` from ``options``, checked for the account's vendor (400 naming
    ``options.<key>``)."""
    raw = sub.values.get("options") or {}
    options_class = VENDOR_OPTIONS[account.vendor]
    allowed = options_class().fields
    unknown = {
        key: [f"{account.get_vendor_display()} takes no option {key!r}"]
        for key in raw
        if key not in allowed
    }
    if unknown:
        sub.fail("options", unknown)
    options = options_class(data=raw)
    if not options.is_valid():
        sub.fail("options", options.errors)
    both = raw.get("maxSpeakers") and sub.values.get("diarizationSpeakerCount")
    if _adapter(account).max_speakers_excludes_count and both:
        sub.fail(
            "options", {"maxSpeakers": ["give diarizationSpeakerCount or maxSpeakers, not both"]}
        )
    return options.job_options()


def check_source(account: ProviderAccount, options: dict, sub: Submission, *, upload: bool):
    """A URL for URL endpoints, a file for file endpoints, neither for ElevenLabs PVC, and no
    URL for Phonexia (it takes uploaded files only)."""
    mode = _adapter(account).source_mode(options)
    if mode == "none":
        if upload:
            sub.fail(
                "file",
                "a PVC job separates a sample already uploaded to ElevenLabs: use "
                "/process/audio/url without a url",
            )
        if sub.values.get("url"):
            sub.fail("url", "a PVC job separates a sample already uploaded to ElevenLabs: no url")
        return
    if upload:
        return
    if not sub.values.get("url"):
        sub.fail("url", "This field is required.")
    if mode == "file":
        sub.fail(
            "url",
            f"{_adapter(account).label} takes uploaded files only: POST the file to /process/audio",
        )


def raw_recording(request) -> UploadedFile:
    """The request body (the recording's bytes, Symbl's ``POST /v1/process/audio``) copied
    into a temporary file named after its content type (``recording.wav``; ``recording``
    when the type is missing or ``application/octet-stream``). 400 when empty or over
    :data:`MAX_RECORDING_BYTES`."""
    content_type = request.content_type.split(";")[0].strip().lower()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        raise ValidationError(
            ["the body holds no recording: send its bytes, or a multipart form with a file"]
        )
    if length > MAX_RECORDING_BYTES:
        raise ValidationError(["the recording is larger than 500 MB"])
    extension = EXTENSIONS.get(content_type) or (
        mimetypes.guess_extension(content_type) if content_type else None
    )
    upload = TemporaryUploadedFile(
        f"recording{extension or ''}", content_type or "application/octet-stream", length, None
    )
    size = 0
    while chunk := request.stream.read(CHUNK_BYTES):
        size += len(chunk)
        upload.write(chunk)
    upload.seek(0)
    upload.size = size
    return upload


def check_raw_type(request) -> bool:
    """True for a multipart form; for a raw body, 415 unless the content type is ``audio/*``,
    ``video/*``, ``application/octet-stream`` or missing (Symbl: omit it for other formats)."""
    content_type = request.content_type.split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return True
    if content_type and not (
        content_type.startswith(("audio/", "video/")) or content_type == "application/octet-stream"
    ):
        raise UnsupportedMediaType(content_type)
    return False


def read_file_submission(request) -> Submission:
    """A file submit's fields: from the query string and the multipart form, or from the
    query string alone when the body is the recording (415 for other content types, see
    :func:`check_raw_type`)."""
    form = check_raw_type(request)
    return read_submission(request, FileSubmitFormSerializer if form else None)


#: Submit fields by :attr:`JobInputError.field` (``"source"``: the file or the URL).
INPUT_FIELDS = {
    "speaker_count": "diarizationSpeakerCount",
    "account": "accountId",
    "options": "options",
}


def _field_of(err: JobInputError, *, upload: bool) -> str:
    return INPUT_FIELDS.get(err.field) or ("file" if upload else "url")


def _default_title(options: dict) -> str:
    """A PVC job has no file or URL to name its conversation after: name the sample."""
    return f"PVC sample {options['sample_id']}" if options.get("product") == "pvc" else ""


def submit(
    request,
    sub: Submission,
    *,
    account: ProviderAccount,
    upload: bool,
    conversation: Conversation | None = None,
) -> Response:
    """Check the input for ``account``, create the job and answer 201 ``{conversationId,
    jobId, ignored?}``."""
    options = vendor_options(account, sub)
    check_source(account, options, sub, upload=upload)
    media = None
    if upload:
        media = sub.values.get("file") or raw_recording(request)
        if media.size > MAX_RECORDING_BYTES:
            sub.fail("file", "the recording is larger than 500 MB")
    if conversation is not None and sub.values.get("name"):
        sub.ignored = sorted({*sub.ignored, "name"})
    try:
        job = job_create(
            account=account,
            kind=JobKind.APPEND if conversation is not None else JobKind.PROCESS,
            conversation=conversation,
            title=sub.values.get("name") or _default_title(options),
            source_url="" if upload else sub.values.get("url") or "",
            media=media,
            speaker_count=sub.values.get("diarizationSpeakerCount"),
            language=(sub.values.get("languageCode") or "").strip(),
            options=options,
        )
    except JobInputError as err:
        sub.fail(_field_of(err, upload=upload), str(err))
    finally:
        if media is not None:
            media.close()
    reply = {"conversationId": str(job.conversation_id), "jobId": str(job.pk)}
    if sub.ignored:
        reply["ignored"] = sub.ignored
    return Response(reply, status=status.HTTP_201_CREATED)
