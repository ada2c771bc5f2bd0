"""Master data in the admin, for the system administrator of a supervisor.

Supervisors, functional classes and outside parties may be changed there (audited); the
enterprises and both structures are shown read-only, since their edits must pass the registry
services' rules (cycles, equity totals, dates) on the registry pages. A system administrator
sees their supervisor's records and those below, and changes only their own supervisor's.
"""

from django.contrib import admin

from guozi.accounts.access import active_memberships
from guozi.accounts.admin import RoleAdmin, adopt_created
from guozi.accounts.models import Role

from . import services
from .models import Enterprise, EquityLink, FunctionClass, ManagementLink, OutsideParty, Supervisor
from .selectors import supervisor_descendants

SYSTEM = {Role.SYSTEM_ADMIN}


def own_supervisor_ids(request) -> set[int]:
    """Supervisors where the user is the system administrator."""
    return {
        m.supervisor_id
        for m in active_memberships(request.user)
        if m.role == Role.SYSTEM_ADMIN and m.supervisor_id
    }


def readable_supervisor_ids(request) -> set[int]:
    own = own_supervisor_ids(request)
    return supervisor_descendants(own) if own else set()


class OwnSupervisorChoices:
    """Limit a `supervisor` / `parent` choice to the admin's own supervisors."""

    supervisor_fields = ("supervisor",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.supervisor_fields:
            kwargs["queryset"] = Supervisor.objects.filter(id__in=own_supervisor_ids(request))
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Supervisor)
class SupervisorAdmin(OwnSupervisorChoices, RoleAdmin):
    view_roles = change_roles = SYSTEM
    can_add = can_change = True
    supervisor_fields = ("parent",)
    list_display = ["code", "name_zh", "name_en", "level", "region_code", "parent"]
    search_fields = ["code", "name_zh", "name_en"]
    fields = ["code", "name_zh", "name_en", "short_name", "region_code", "level", "parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(id__in=readable_supervisor_ids(request))

    def get_readonly_fields(self, request, obj=None):
        # A supervisor's place in the tree is not moved here.
        return ["parent"] if obj is not None else []

    def may_change(self, request, obj) -> bool:
        return obj.id in own_supervisor_ids(request)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        created = services.supervisor_create(
            acting_user=request.user,
            fields={name: data[name] for name in self.fields if name != "parent"},
            parent=data["parent"],
        )
        adopt_created(obj, created)


@admin.register(FunctionClass)
class FunctionClassAdmin(OwnSupervisorChoices, RoleAdmin):
    view_roles = change_roles = SYSTEM
    can_add = can_change = can_delete = True
    list_display = ["supervisor", "code", "name_zh", "name_en", "valid_from", "valid_to"]
    list_filter = ["supervisor"]
    list_select_related = ["supervisor"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(supervisor_id__in=readable_supervisor_ids(request))
        )

    def may_change(self, request, obj) -> bool:
        return obj.supervisor_id in own_supervisor_ids(request)


@admin.register(OutsideParty)
class OutsidePartyAdmin(RoleAdmin):
    view_roles = change_roles = SYSTEM
    can_add = can_change = can_delete = True
    list_display = ["name_zh", "name_en", "kind"]
    list_filter = ["kind"]
    search_fields = ["name_zh", "name_en"]


class ReadOnlyRegistryAdmin(RoleAdmin):
    view_roles = SYSTEM
    supervisor_path = "supervisor_id"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(**{f"{self.supervisor_path}__in": readable_supervisor_ids(request)})
        )


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyRegistryAdmin):
    list_display = ["name_zh", "uscc", "foreign_reg_no", "supervisor", "status", "portfolio"]
    list_filter = ["status", "ownership_level", "portfolio"]
    list_select_related = ["supervisor"]
    search_fields = ["name_zh", "short_name", "name_en", "=uscc", "=foreign_reg_no"]
    show_full_result_count = False


@admin.register(ManagementLink)
class ManagementLinkAdmin(ReadOnlyRegistryAdmin):
    supervisor_path = "child__supervisor_id"
    list_display = ["child", "parent", "parent_supervisor", "valid_from", "valid_to", "note"]
    list_select_related = ["child", "parent", "parent_supervisor"]
    search_fields = ["child__name_zh", "=child__uscc"]
    show_full_result_count = False


@admin.register(EquityLink)
class EquityLinkAdmin(ReadOnlyRegistryAdmin):
    supervisor_path = "held__supervisor_id"
    list_display = ["held", "holder", "pct", "valid_from", "valid_to"]
    list_select_related = ["held", "holder_enterprise", "holder_supervisor", "holder_party"]
    search_fields = ["held__name_zh", "=held__uscc"]
    show_full_result_count = False
