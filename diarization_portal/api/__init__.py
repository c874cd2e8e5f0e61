"""The REST API under ``/api/v1/``, shaped like Symbl's Conversation API (vendor-apis.md §1.5).

An integration written against Symbl works against the portal by changing the base URL to
``<portal>/api/v1`` and the token to a portal API key. Conventions every endpoint follows:

Authentication (:mod:`.authentication`)
    ``Authorization: Bearer <key>`` with a key created on the dashboard page
    ``/account/api-keys/`` (URL name ``api:api_keys``). Keys are stored as SHA-256 hashes; the
    full key is shown once. A missing, unknown or revoked key is a 401 with
    ``WWW-Authenticate: Bearer realm="api"``. The dashboard's own calls use the session cookie;
    unsafe methods then need the CSRF token (``X-CSRFToken``), as in the dashboard.

Permissions (:mod:`.access`)
    Workspace roles as in the dashboard: viewers and commenters read, editors and admins edit,
    admins also manage the workspace's accounts. Anything in a workspace the user is not a member
    of is a 404 whatever the verb (never a 403, which would reveal that it exists). Views call
    :func:`.access.conversation_for` (``edit=True`` for writes) or
    :func:`.access.workspace_membership`, then :func:`.access.require_admin` where only admins
    may act.

Errors (:mod:`.exceptions`)
    Every error has one shape::

        {"type": "not_found", "message": "No such conversation",
         "errors": [{"loc": ["body", "name"], "msg": "This field may not be blank."}]}

    ``type`` is one of ``validation_error`` (400), ``parse_error`` (400),
    ``invalid_operation`` (400, a speaker operation refused), ``not_authenticated`` (401),
    ``authentication_failed`` (401), ``permission_denied`` (403), ``not_found`` (404),
    ``method_not_allowed`` (405), ``not_acceptable`` (406), ``conflict`` (409),
    ``unsupported_media_type`` (415), ``throttled`` (429, with ``Retry-After``) or
    ``server_error`` (500). ``errors`` is empty except for validation errors, where each
    ``loc`` starts with ``"body"``, ``"query"`` or ``"path"`` and names the field with its
    camelCase API name (list items add their index). Raise
    :class:`.exceptions.QueryValidationError` for bad query parameters; serializer errors are
    body errors; :class:`~diarization_portal.conversations.services.speakers.SpeakerOperationError`
    raised by a service becomes ``invalid_operation`` (``UndoConflict`` and ``ConcurrentEdit``,
    an edit that lost a race with another edit of the same speakers: ``conflict``). A retry
    the job's or member's state refuses
    (:class:`~diarization_portal.sync.services.RetryRefused`) is a ``conflict``: the request is
    sound, the current state is not, and ``message`` says why.

Pagination (:mod:`.pagination`)
    ``limit`` and ``offset`` query parameters like Symbl's ``GET /v1/conversations``. List
    replies are ``{"<items>": [...], "limit": n, "offset": n, "total": n}`` with Symbl's item key
    (``conversations``, ``messages``, ``insights``, ``actionItems``…). Defaults and maxima are
    per view (conversations 20/100; messages and insights 1000/5000, because Symbl returns
    those whole). A bad value is a 400 naming the parameter.

Requests
    Bodies are JSON (``DEFAULT_PARSER_CLASSES``); a view that takes uploads sets its own
    ``parser_classes``. Views are thin: access check, query or service call, serializer.
    Everything under ``/conversations/{id}`` subclasses :class:`.views.base.ConversationScoped`
    (paginated lists: :class:`.views.base.ConversationItemList`), so even a verb the endpoint
    lacks is a 404 outside the workspace. Query parameters are validated with a serializer via
    :func:`.views.base.parse_query`.

Beyond Symbl's Conversation API
    What people do in the dashboard: speaker merge, split, reassign, history and undo
    (:mod:`.views.speakers`; an undo blocked by later edits is a 409 ``conflict`` whose body
    adds ``blockingEdits``), jobs and Symbl's ``GET /job/{jobId}`` (:mod:`.views.jobs`),
    recordings sent to vendors on Symbl's Async API paths ``/process/...``
    (:mod:`.views.process`, checks in :mod:`.submissions`), transcript file imports (a file
    that cannot be read is a 400 ``parse_error`` with ``loc`` ``["body", "file", "<line or
    JSON path>"]``) and streamed exports (:mod:`.views.files`), provider accounts
    (:mod:`.views.accounts`: any member reads them without their secrets; workspace admins add,
    change and delete them with the dashboard's rules, secrets write-only), a failed job
    retried (``POST /jobs/{id}/retry``, :mod:`.views.jobs`) and a member's push to the vendor
    (``GET``/``POST /conversations/{id}/members/{memberId}/push``, :mod:`.views.pushes`; the
    push state stays out of Symbl's member shape). Uploads are multipart forms (``file``);
    Symbl's ``POST /process/audio`` also takes the recording's bytes as the body.

Serializers (:mod:`.serializers`)
    Explicit camelCase field names (``startTime``, ``messageIds``) with ``source=`` pointing at
    the model field. Ids are strings like Symbl's: conversations, messages and insights are
    their primary keys as decimal strings; members are their UUIDs. Optional values Symbl leaves
    out (a member's ``email``) are left out when empty.

Throttling (:mod:`.throttling`)
    One rate per API key (per user for session calls): ``API_THROTTLE_RATE`` (default
    ``600/minute``), over it a 429 with ``Retry-After`` in seconds.

Schema
    drf-spectacular builds the OpenAPI 3 schema at ``/api/schema/`` and the docs page at
    ``/api/docs/`` (Swagger UI served by the portal itself, works offline). Annotate every view
    with ``extend_schema(responses={200: Serializer})``; :class:`.schema.ApiAutoSchema` adds the
    error responses (400, 401, 403, 404, 429) to every operation.

Times
    ``timeOffset`` and ``duration`` are seconds. ``startTime``/``endTime`` are ISO 8601 UTC:
    the conversation's ``started_at`` plus the offset; when the start of the recording is not
    known (file imports without a date), the conversation's ``created_at`` stands in for it, so
    offsets stay exact and clock times stay ordered.
"""
