"""A member's push to the vendor (DESIGN §3, §4), beyond Symbl's Conversation API:
``GET /conversations/{id}/members/{memberId}/push`` (any member of the workspace) and
``POST`` on the same path (editors and admins: the dashboard's Retry,
:func:`diarization_portal.sync.services.member_push_retry`).

After a rename or merge, members that exist at a vendor (Symbl members, ElevenLabs PVC
speakers) are pushed in the background. Symbl's member shape has no room for the state of that
push (an integration compares it key for key), so it is shown here, with the member: the reply
is :class:`~..serializers.members.MemberSyncSerializer`. Merged members are found too: their
push carries the merge. A member whose push has not failed is a 409 ``conflict``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from diarization_portal.conversations.models import Member
from diarization_portal.sync import services

from ..access import conversation_for, member_for
from ..exceptions import Conflict
from ..schema import error_response
from ..serializers.members import MemberSyncSerializer
from .base import ConversationScoped


class MemberPush(ConversationScoped):
    """The state of a member's push to the vendor; push it again after a failure."""

    @extend_schema(
        operation_id="conversations_members_push_retrieve",
        summary="Get a member's push to the vendor",
        description=(
            "The member with `syncState` (`local`: nothing to push; `pending`; `synced`; "
            "`failed`, with the vendor's reason in `syncError`) and `mergedInto`. Merged "
            "members are found too."
        ),
        responses={200: MemberSyncSerializer},
        tags=["sync"],
    )
    def get(self, request, pk: int, member_id):
        conversation, _ = conversation_for(request, pk)
        return Response(MemberSyncSerializer(member_for(conversation, member_id, merged=True)).data)

    @extend_schema(
        operation_id="conversations_members_push",
        summary="Push a member to the vendor again",
        description=(
            "Retries a `failed` push of the member's name and email to the vendor (Symbl's "
            "member update, ElevenLabs PVC speakers): the member becomes `pending` and is sent "
            "in the background; `GET` on this path follows it. Editors and admins. A member "
            "whose push has not failed (`local`, `pending`, `synced`) is a 409 `conflict`."
        ),
        request=None,
        responses={200: MemberSyncSerializer, 409: error_response(409)},
        tags=["sync"],
    )
    def post(self, request, pk: int, member_id):
        conversation, _ = conversation_for(request, pk, edit=True)
        member = member_for(conversation, member_id, merged=True)
        try:
            services.member_push_retry(member_id=member.pk)
        except services.RetryRefused as err:
            raise Conflict(f"Cannot push this member again: {err}.") from None
        member = Member.objects.select_related("merged_into").get(pk=member.pk)
        return Response(MemberSyncSerializer(member).data)
