"""The audit log page: read-only, filtered, scoped."""

from django import forms
from django.apps import apps
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from guozi.accounts.access import Scope, active_memberships, scoped
from guozi.accounts.models import Role
from guozi.lib.context import CHANNELS
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, supervisor_descendants, visible_enterprises

from .models import Action, AuditEvent

PAGE_SIZE = 50


def visible_events(user) -> QuerySet[AuditEvent]:
    """The audit events `user` may read.

    Every audit reader sees the events of the enterprises they may read today
    (`visible_enterprises`: an auditor reads their supervisor's portfolio and those below). The
    audit administrator, who reads no portfolio data otherwise, sees the events of the
    enterprises of their supervisor and those below, and also the events tied to no enterprise
    (users, memberships, tokens, supervisors, code tables) and those of enterprises that no
    longer exist; auditors see neither.
    """
    condition = Q(enterprise_id__in=visible_enterprises(user).values("id"))
    audit_admin_at = {
        m.supervisor_id
        for m in active_memberships(user)
        if m.role == Role.AUDIT_ADMIN and m.supervisor_id
    }
    if audit_admin_at:
        supervisors = supervisor_descendants(audit_admin_at)
        condition |= Q(
            enterprise_id__in=Enterprise.objects.filter(supervisor_id__in=supervisors).values("id")
        )
        condition |= Q(enterprise_id__isnull=True)
        condition |= ~Q(enterprise_id__in=Enterprise.objects.values("id"))
    return AuditEvent.objects.filter(condition)


def _object_types() -> list[tuple[str, str]]:
    return sorted(
        (model._meta.label_lower, f"{model._meta.verbose_name} ({model._meta.label_lower})")
        for model in apps.get_models()
        if model.__module__.startswith("guozi.")
    )


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    enterprise = forms.CharField(
        label=_("Enterprise"), required=False, help_text=_("Internal id, USCC or name")
    )
    user = forms.CharField(label=_("User"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any")), *Action.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Any"))] + [(channel, channel) for channel in CHANNELS],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("Any")), *_object_types()]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end must not come before the start."))
        return data

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        data = self.cleaned_data
        if value := data["enterprise"].strip():
            found = find_by_identifier(value)
            if value.isdigit() and len(value) < 18:
                # An internal id, also of an enterprise deleted since.
                events = events.filter(enterprise_id=int(value))
            elif found is not None:
                events = events.filter(enterprise_id=found.id)
            else:
                named = Enterprise.objects.filter(
                    Q(name_zh__icontains=value)
                    | Q(short_name__icontains=value)
                    | Q(name_en__icontains=value)
                )
                events = events.filter(enterprise_id__in=named.values("id"))
        if data["user"]:
            events = events.filter(actor_name__icontains=data["user"].strip())
        if data["date_from"]:
            events = events.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            events = events.filter(at__date__lte=data["date_to"])
        for name in ("object_type", "action", "channel"):
            if data[name]:
                events = events.filter(**{name: data[name]})
        return events


def _changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field the event records, in the record's order."""
    before, after = event.before or {}, event.after or {}
    fields = list(after) + [key for key in before if key not in after]
    return [(field, before.get(field), after.get(field)) for field in fields]


@scoped(Scope.AUDIT)
def log(request):
    """Who changed what, when, through which channel, before and after; see `visible_events`."""
    form = AuditFilterForm(request.GET or None)
    events = visible_events(request.user).select_related("actor")
    if form.is_valid():
        events = form.filter(events)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    names = Enterprise.objects.in_bulk({e.enterprise_id for e in page.object_list} - {None})
    types = dict(_object_types())
    for event in page.object_list:
        event.changes = _changes(event)
        event.enterprise = names.get(event.enterprise_id)
        event.type_label = types.get(event.object_type, event.object_type)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"form": form, "page": page, "query": params.urlencode()},
        status=400 if form.errors else 200,
    )
