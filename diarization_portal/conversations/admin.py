"""Admin for staff: every model, with search, filters and read-only vendor fields."""

from django.contrib import admin, messages
from django.utils import timezone

from .models import Conversation, Insight, Job, Member, Message, ShareLink, SpeakerEdit


class MemberInline(admin.TabularInline):
    model = Member
    fk_name = "conversation"
    extra = 0
    fields = ["name", "email", "vendor_label", "channel", "merged_into", "sync_state"]
    readonly_fields = ["vendor_label", "channel", "merged_into", "sync_state"]
    show_change_link = True


class JobInline(admin.TabularInline):
    model = Job
    extra = 0
    fields = ["kind", "state", "source_name", "vendor_job_id", "attempts", "error_message"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["title", "workspace", "vendor", "source_format", "language", "created_at"]
    list_filter = ["vendor", "source_format", "workspace"]
    search_fields = ["title", "external_id"]
    readonly_fields = ["vendor", "external_id", "source_format", "created_at", "updated_at"]
    list_select_related = ["workspace"]
    date_hierarchy = "created_at"
    inlines = [MemberInline, JobInline]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["pk", "conversation", "kind", "state", "attempts", "created_at", "finished_at"]
    list_filter = ["kind", "state"]
    search_fields = ["vendor_job_id", "source_name", "conversation__title", "error_message"]
    readonly_fields = [
        "vendor_job_id",
        "vendor_conversation_id",
        "source_sha256",
        "submitted_at",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation", "account"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "conversation",
        "vendor_label",
        "channel",
        "merged_into",
        "sync_state",
    ]
    list_filter = ["sync_state", "name_locked", ("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["name", "email", "vendor_label", "uuid", "conversation__title"]
    readonly_fields = [
        "uuid",
        "vendor_label",
        "label_scope",
        "channel",
        "merged_into",
        "created_at",
    ]
    list_select_related = ["conversation", "merged_into"]
    raw_id_fields = ["conversation"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["external_id", "conversation", "member", "start", "end", "short_text"]
    list_filter = ["conversation__vendor"]
    search_fields = ["text", "external_id", "conversation__title"]
    readonly_fields = ["external_id", "diarized_member", "job"]
    list_select_related = ["conversation", "member"]
    raw_id_fields = ["conversation", "member", "diarized_member", "job"]

    @admin.display(description="text")
    def short_text(self, obj: Message) -> str:
        return obj.text[:80]


@admin.register(Insight)
class InsightAdmin(admin.ModelAdmin):
    list_display = ["text", "type", "conversation", "from_member", "assignee", "score"]
    list_filter = ["type", "definitive"]
    search_fields = ["text", "external_id", "conversation__title"]
    readonly_fields = ["external_id"]
    list_select_related = ["conversation", "from_member", "assignee"]
    raw_id_fields = ["conversation", "from_member", "assignee", "messages"]


@admin.register(SpeakerEdit)
class SpeakerEditAdmin(admin.ModelAdmin):
    list_display = ["summary", "op", "conversation", "user", "created_at", "undone_at"]
    list_filter = ["op", ("undone_at", admin.EmptyFieldListFilter)]
    search_fields = ["summary", "conversation__title", "user__username"]
    readonly_fields = [
        "conversation",
        "user",
        "op",
        "summary",
        "payload",
        "created_at",
        "undone_at",
        "undone_by",
    ]
    list_select_related = ["conversation", "user"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Share links: only the token's hash is stored, so nothing here can reveal a link."""

    list_display = ["pk", "conversation", "access_level", "created_by", "created_at", "revoked_at"]
    list_filter = ["access_level", "revoked_at"]
    search_fields = ["conversation__title", "created_by__username"]
    readonly_fields = ["conversation", "token_hash", "created_by", "created_at"]
    list_select_related = ["conversation", "created_by"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # links are created on the conversation page, where the full link is shown

    @admin.action(description="Revoke the selected share links")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} share links.", messages.SUCCESS)
