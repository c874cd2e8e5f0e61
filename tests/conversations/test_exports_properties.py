"""Any speaker name survives the WebVTT, SRT and JSON round trip, and RTTM stays valid.

Names are drawn from letters, marks, digits, punctuation, symbols and spaces of any script, with
``:``, ``<``, ``>``, ``&``, ``[``, ``]`` and ``\\`` weighted in. WebVTT and SRT carry a name on
one line (runs of whitespace become one space); JSON carries it exactly; in RTTM it must be one
whitespace-free field that our RTTM parser reads back.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from diarization_portal.conversations.models import Member, Message
from diarization_portal.conversations.services.exports import conversation_export
from diarization_portal.conversations.services.imports import file_import
from providers.formats import rttm as rttm_format
from providers.formats._common import squash
from providers.formats.rttm import token as rttm_token
from providers.formats.srt import _TIMING_LIKE
from tests import factories
from tests.conversations.test_exports import RTTM_LINE

MAX_EXAMPLES = int(os.environ.get("EXPORT_PROPERTY_EXAMPLES", "60"))
MESSAGES = 6
TEXT = "x < y && z > w: ok [1]"
SPECIAL = ":<>&[]\\ "
names = st.text(
    st.one_of(
        st.sampled_from(SPECIAL),
        st.characters(categories=("L", "M", "N", "P", "S", "Zs")),
    ),
    min_size=1,
    max_size=40,
).filter(lambda name: name.strip())


class ExportedNames(TestCase):
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(names=st.lists(names, min_size=1, max_size=3))
    def test_names_survive_vtt_srt_json_and_rttm_stays_valid(self, names):
        ws = factories.workspace()
        conv = factories.conversation(ws, members=len(names), messages=MESSAGES, title="P: <1>")
        Message.objects.filter(conversation=conv).update(text=TEXT)
        members = list(Member.objects.filter(conversation=conv).order_by("position"))
        for member, name in zip(members, names, strict=True):
            Member.objects.filter(pk=member.pk).update(name=name)
        said = list(
            Message.objects.filter(conversation=conv)
            .order_by("start", "pk")
            .values_list("member__name", flat=True)
        )

        for fmt in ("vtt", "srt", "json"):
            if fmt == "srt" and any(_TIMING_LIKE.search(name) for name in names):
                # A line that looks like cue timings ("1:00:00 --> …") cannot sit in SRT text:
                # the importer refuses it rather than guess where the cue ends.
                continue
            export = conversation_export(conversation=conv, format=fmt)
            again = file_import(
                workspace=ws, data=export.read().encode(), source_name=export.filename
            ).conversation
            got = list(
                Message.objects.filter(conversation=again)
                .order_by("start", "pk")
                .values_list("member__name", "text")
            )
            expected = said if fmt == "json" else [squash(name) for name in said]
            assert [name for name, _ in got] == expected, fmt
            assert {text for _, text in got} == {TEXT}, fmt

        out = conversation_export(conversation=conv, format="rttm").read()
        lines = out.splitlines()
        assert len(lines) == MESSAGES
        assert all(RTTM_LINE.match(line) for line in lines), out
        assert all(len(line.split()) == 10 for line in lines)
        parsed = rttm_format.parse(out)
        assert [u.speaker_label for u in parsed.utterances] == [rttm_token(n) for n in said]
