from django.contrib import admin

from guozi.accounts.admin import RoleAdmin
from guozi.accounts.models import Role

from .models import AuditEvent
from .views import visible_events


@admin.register(AuditEvent)
class AuditEventAdmin(RoleAdmin):
    """Read-only, for the audit roles, scoped as the audit log page (`visible_events`)."""

    view_roles = {Role.AUDITOR, Role.AUDIT_ADMIN}
    list_display = ["at", "actor_name", "channel", "action", "object_type", "object_repr"]
    list_filter = ["channel", "action", "object_type"]
    search_fields = ["actor_name", "object_repr", "=object_id"]
    show_full_result_count = False

    def get_queryset(self, request):
        return visible_events(request.user)
