"""Conversations, their members (speakers), messages, insights, jobs and speaker edits.

Names live only on :class:`Member`; messages and insights point to members by foreign key, so a
rename is one UPDATE of one row (DESIGN §2, invariant 1). Times are seconds from the start of
the conversation.
"""

from __future__ import annotations

from .conversation import Conversation, ConversationQuerySet, Vendor
from .edit import DuplicateDismissal, EditOp, SpeakerEdit, SpeakerEditQuerySet, blocked_by
from .job import Job, JobKind, JobState, new_webhook_token
from .member import PALETTE, Member, MemberQuerySet, SyncState
from .message import Insight, InsightType, Message
from .share import ShareLevel, ShareLink, new_share_token, share_token_hash

__all__ = [
    "PALETTE",
    "Conversation",
    "ConversationQuerySet",
    "DuplicateDismissal",
    "EditOp",
    "Insight",
    "InsightType",
    "Job",
    "JobKind",
    "JobState",
    "Member",
    "MemberQuerySet",
    "Message",
    "ShareLevel",
    "ShareLink",
    "SpeakerEdit",
    "SpeakerEditQuerySet",
    "SyncState",
    "Vendor",
    "blocked_by",
    "new_share_token",
    "new_webhook_token",
    "share_token_hash",
]
