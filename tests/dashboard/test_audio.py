"""Media types of proxied vendor audio (diarization_portal.dashboard.audio)."""

from __future__ import annotations

import pytest

from diarization_portal.dashboard.audio import MediaTypeRefused, audio_media_type, safe_filename


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("audio/mpeg", "audio/mpeg"),
        (" AUDIO/Ogg ; codecs=opus", "audio/ogg"),
        ('video/mp4;foo="text/html"', "video/mp4"),
        ("", "audio/mpeg"),
        (None, "audio/mpeg"),
    ],
)
def test_audio_and_video_types_are_kept_without_parameters(raw, kept):
    assert audio_media_type(raw) == kept


@pytest.mark.parametrize(
    "raw",
    [
        "text/html",
        "text/html; charset=utf-8",
        "application/octet-stream",
        "image/svg+xml",
        "application/javascript",
        "audio/x+xml",
        "video/html",
        "audio",
        "audio/",
        "audio/mpeg\r\nSet-Cookie: a=b",
        "audio/<script>",
        "multipart/x-mixed-replace",
    ],
)
def test_other_types_are_refused(raw):
    with pytest.raises(MediaTypeRefused):
        audio_media_type(raw)


def test_filenames_keep_only_safe_characters():
    assert safe_filename('spk "a"\r\n/../x', "audio/wav") == "spk-a-x.wav"
    assert safe_filename("", "audio/unknown") == "audio.bin"
