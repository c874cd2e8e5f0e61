"""Signals of the conversations app, for the apps built on it (the vendor sync listens).

``speaker_edit_recorded``: sent by the speaker services (:mod:`.services.speakers`) after an
operation or an undo changed members, with ``edit`` (the :class:`~.models.SpeakerEdit`;
after an undo its ``undone_at`` is set). It is sent inside the operation's transaction, so a
receiver's writes commit or roll back with the edit, and an exception a receiver raises
rolls the operation back; work meant for after the commit belongs in
``transaction.on_commit``. ``sender`` is :class:`~.models.SpeakerEdit`.
"""

from django.dispatch import Signal

speaker_edit_recorded = Signal()
