"""Reporting master data for the system administrator: working-day schedules, deadlines,
closed periods. Forms come from framework files (`guozi load_frameworks`), never edited here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from guozi.accounts.admin import RoleAdmin
from guozi.accounts.models import Role
from guozi.lib.workdays import ScheduleError, parse_schedule
from guozi.registry.admin import OwnSupervisorChoices, own_supervisor_ids, readable_supervisor_ids

from .models import CalendarYear, DeadlineSetting, FormVersion, PeriodLock

SYSTEM = {Role.SYSTEM_ADMIN}


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "schedule", "source"]

    def clean(self):
        data = super().clean()
        text, year = data.get("schedule") or "", data.get("year")
        try:
            parsed = parse_schedule(text, year=year)
        except ScheduleError as error:
            raise forms.ValidationError(f"{error.message_zh} / {error.message_en}") from error
        data["source"] = data.get("source") or parsed.source
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(RoleAdmin):
    """The State Council's holiday schedule for a year the calendar package does not cover."""

    view_roles = change_roles = SYSTEM
    can_add = can_change = True
    form = CalendarYearForm
    list_display = ["year", "source", "updated_at"]


@admin.register(DeadlineSetting)
class DeadlineSettingAdmin(OwnSupervisorChoices, RoleAdmin):
    view_roles = change_roles = SYSTEM
    can_add = can_change = can_delete = True
    list_display = ["supervisor", "form", "working_days", "by_level", "children_first"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(supervisor_id__in=readable_supervisor_ids(request))
        )

    def may_change(self, request, obj) -> bool:
        return obj.supervisor_id in own_supervisor_ids(request)


@admin.register(PeriodLock)
class PeriodLockAdmin(RoleAdmin):
    view_roles = change_roles = SYSTEM
    can_add = can_delete = True
    list_display = ["form", "period", "locked_by", "reason", "created_at"]
    fields = ["form", "period", "reason"]

    def save_model(self, request, obj, form, change):
        obj.locked_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FormVersion)
class FormVersionAdmin(RoleAdmin):
    view_roles = SYSTEM
    list_display = ["form", "version", "valid_from", "source", "created_at"]
    readonly_fields = ["form", "version", "valid_from", "source", "sha256", "definition"]
    verbose_name = _("form version")
