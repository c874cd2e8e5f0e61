"""Serving audio that a vendor sent: the vendor's answer is data, never a page.

A vendor names the media type of the audio it returns (ElevenLabs PVC speaker audio carries
``media_type`` in its JSON, vendor-apis.md 2.1). That value is untrusted: served as it is, a
``text/html`` answer would run script on the portal's origin. :func:`audio_media_type` keeps
only audio and video types, and :func:`audio_response` serves the bytes as a download-safe
attachment that a browser will not sniff into something else.
"""

from __future__ import annotations

import io
import re

from django.http import FileResponse

#: Main types a proxied recording may have.
ALLOWED_MAIN_TYPES = frozenset({"audio", "video"})
#: Subtype endings a browser renders as a document or runs, whatever the main type.
RENDERED_SUFFIXES = ("+xml", "+json", "html", "xml", "javascript", "ecmascript", "svg")
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
#: File extension of common audio and video types (for the download's name).
EXTENSIONS = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/wave": "wav",
    "audio/x-wav": "wav",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/flac": "flac",
    "audio/aac": "aac",
    "audio/mp4": "m4a",
    "audio/webm": "webm",
    "video/mp4": "mp4",
    "video/webm": "webm",
}


class MediaTypeRefused(ValueError):
    """The vendor's media type is not an audio or video type; ``str(err)`` says which."""


def audio_media_type(raw: str | None, *, default: str = "audio/mpeg") -> str:
    """The ``type/subtype`` (lower case, parameters dropped) of the vendor's ``raw`` media
    type when it is ``audio/*`` or ``video/*``; ``default`` when ``raw`` is blank.

    Raises :class:`MediaTypeRefused` for any other type (``text/html``,
    ``application/octet-stream``...), for a malformed one, and for audio or video subtypes a
    browser would render as a document (``+xml``, ``html``, ``svg``...).
    """
    text = (raw or "").strip()
    if not text:
        return default
    essence = text.split(";", 1)[0].strip().lower()
    main, slash, sub = essence.partition("/")
    shown = essence[:60] or text[:60]
    if not slash or not _TOKEN.match(main) or not _TOKEN.match(sub):
        raise MediaTypeRefused(f"the media type {shown!r} is not a valid type")
    if main not in ALLOWED_MAIN_TYPES:
        raise MediaTypeRefused(f"the media type {shown!r} is not audio or video")
    if sub.endswith(RENDERED_SUFFIXES):
        raise MediaTypeRefused(f"the media type {shown!r} is one a browser would render")
    return f"{main}/{sub}"


def safe_filename(stem: str, media_type: str) -> str:
    """``stem`` reduced to letters, digits, ``-`` and ``_`` (at most 80, ``"audio"`` when
    nothing is left) plus the extension of ``media_type`` (``.bin`` when unknown)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:80] or "audio"
    return f"{cleaned}.{EXTENSIONS.get(media_type, 'bin')}"


def audio_response(data: bytes, *, media_type: str, stem: str) -> FileResponse:
    """``data`` served as ``media_type`` (already checked by :func:`audio_media_type`), as an
    attachment named after ``stem`` (``<audio>`` elements still play it), with
    ``X-Content-Type-Options: nosniff`` and a private cache of five minutes."""
    response = FileResponse(
        io.BytesIO(data),
        content_type=media_type,
        as_attachment=True,
        filename=safe_filename(stem, media_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response
