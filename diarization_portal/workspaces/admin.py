from django.contrib import admin

from .models import Membership, RetentionDeletion, RetentionRun, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "retention_days", "zero_retention_mode", "created_at"]
    list_filter = ["zero_retention_mode", "record_voice"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["retention_policy_since"]
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        (
            "Privacy and retention",
            {
                "description": "Modelled on the privacy settings of an ElevenLabs Speech "
                "Engine. The retention task runs every hour.",
                "fields": [
                    "record_voice",
                    "zero_retention_mode",
                    "retention_days",
                    "delete_audio",
                    "delete_transcript_and_pii",
                    "apply_to_existing_conversations",
                    "retention_policy_since",
                ],
            },
        ),
    ]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        """Move ``retention_policy_since`` when a retention field changed (as the settings
        page does through ``workspace_privacy_update``)."""
        stored = Workspace.objects.filter(pk=obj.pk).first() if change else None
        obj.note_policy_change(stored)
        super().save_model(request, obj, form, change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__username", "user__email", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]
    list_select_related = ["user", "workspace"]


class RetentionDeletionInline(admin.TabularInline):
    model = RetentionDeletion
    extra = 0
    can_delete = False
    fields = ["conversation_id", "conversation_created_at", "action", "counts", "deleted_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    """Audit of the retention task: read-only."""

    list_display = [
        "workspace",
        "started_at",
        "finished_at",
        "conversations_deleted",
        "audio_files_deleted",
        "messages_deleted",
        "skipped",
    ]
    list_filter = ["workspace"]
    list_select_related = ["workspace"]
    inlines = [RetentionDeletionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RetentionDeletion)
class RetentionDeletionAdmin(admin.ModelAdmin):
    list_display = ["conversation_id", "workspace", "action", "deleted_at"]
    list_filter = ["action", "workspace"]
    search_fields = ["conversation_id"]
    list_select_related = ["workspace"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
