"""Forms of the safety-incident pages. They read and shape input; the services decide."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guozi.ledgers.models import Status
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from .models import FEN_PER_WAN, FEN_PER_YUAN, IncidentGrade, IncidentType
from .selectors import DIMENSIONS, IncidentFilters

WAN_IN_YUAN = Decimal(FEN_PER_WAN // FEN_PER_YUAN)


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, which reads and writes ISO times in any language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class FiguresForm(forms.Form):
    """The figures of a report, the loss in 万元 as reports state it."""

    deaths = forms.IntegerField(label=gettext_lazy("Deaths"), min_value=0, initial=0)
    serious_injuries = forms.IntegerField(
        label=gettext_lazy("Serious injuries"),
        min_value=0,
        initial=0,
        help_text=gettext_lazy("Acute industrial poisoning included"),
    )
    direct_loss = forms.DecimalField(
        label=gettext_lazy("Direct economic loss (万元)"),
        min_value=0,
        max_digits=16,
        decimal_places=6,
        initial=0,
    )
    reported_at = forms.DateTimeField(
        label=gettext_lazy("Reported at"),
        required=False,
        widget=DateTimeInput,
        help_text=gettext_lazy("Leave empty for now"),
    )
    note = forms.CharField(
        label=gettext_lazy("Note or reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required for a late correction: why the figures change"),
    )

    def figures(self) -> dict:
        data = self.cleaned_data
        return {
            "deaths": data["deaths"],
            "serious_injuries": data["serious_injuries"],
            "direct_loss": data["direct_loss"] * WAN_IN_YUAN,
            "reported_at": data["reported_at"],
            "note": data["note"],
        }


class FirstReportForm(FiguresForm):
    owner = forms.CharField(
        label=gettext_lazy("Enterprise"),
        max_length=200,
        help_text=gettext_lazy("USCC, internal id, or the exact full or short name"),
    )
    occurred_at = forms.DateTimeField(label=gettext_lazy("Occurred at"), widget=DateTimeInput)
    incident_type = forms.ChoiceField(
        label=gettext_lazy("Incident type"), choices=IncidentType.choices
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What happened"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    responsible_name = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=100
    )

    field_order = [
        "owner",
        "occurred_at",
        "incident_type",
        "place",
        "description",
        "deaths",
        "serious_injuries",
        "direct_loss",
        "reported_at",
        "responsible_name",
        "note",
    ]

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_owner(self) -> Enterprise:
        value = self.cleaned_data["owner"].strip()
        visible = visible_enterprises(self.user)
        found = find_by_identifier(value)
        if found is not None and visible.filter(id=found.id).exists():
            return found
        named = list(visible.filter(name_zh=value)[:2]) or list(
            visible.filter(short_name=value)[:2]
        )
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise forms.ValidationError(
                _("Several enterprises are named %(value)s; use the USCC.") % {"value": value}
            )
        raise forms.ValidationError(
            _("No enterprise you can see is called or identified as %(value)s.") % {"value": value}
        )

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            **self.figures(),
            "owner": data["owner"],
            "occurred_at": data["occurred_at"],
            "incident_type": data["incident_type"],
            "place": data["place"],
            "description": data["description"],
            "responsible_name": data["responsible_name"],
        }


class IncidentFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    year = forms.TypedChoiceField(
        label=gettext_lazy("Year"), required=False, coerce=int, empty_value=None
    )
    grade = forms.ChoiceField(label=pgettext_lazy("incident", "Grade"), required=False)
    incident_type = forms.ChoiceField(label=gettext_lazy("Incident type"), required=False)
    city = forms.ChoiceField(label=gettext_lazy("City"), required=False)
    status = forms.ChoiceField(label=pgettext_lazy("incident", "Handling"), required=False)
    owner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, years=(), cities=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Any year")), *((y, str(y)) for y in years)]
        self.fields["grade"].choices = [("", _("Any grade")), *IncidentGrade.choices]
        self.fields["incident_type"].choices = [("", _("Any type")), *IncidentType.choices]
        self.fields["city"].choices = [("", _("Any city")), *cities]
        self.fields["status"].choices = [
            ("", _("Any status")),
            ("active", _("Not closed")),
            *Status.choices,
        ]

    def filters(self) -> IncidentFilters:
        """The filters asked for; an invalid form filters nothing out but shows its errors."""
        if not self.is_valid():
            return IncidentFilters()
        data = self.cleaned_data
        return IncidentFilters(
            year=data["year"],
            grade=data.get("grade", ""),
            incident_type=data["incident_type"],
            city=data["city"],
            status=data.get("status", ""),
            owner=data["owner"],
            q=data["q"].replace("\x00", "").strip(),
        )


class StatisticsForm(IncidentFilterForm):
    by = forms.ChoiceField(label=gettext_lazy("By"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "year": _("Year"),
            "enterprise": _("Enterprise"),
            "industry": _("Industry"),
            "city": _("City"),
        }
        self.fields["by"].choices = [(key, labels[key]) for key in DIMENSIONS]
        # Statistics count every grade, and never the cancelled incidents.
        del self.fields["grade"]
        del self.fields["status"]

    def dimension(self) -> str:
        if self.is_valid() and self.cleaned_data["by"]:
            return self.cleaned_data["by"]
        return DIMENSIONS[0]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Workbook"),
        help_text=gettext_lazy(".xlsx, the headers in the first row, in Chinese or English"),
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Check only, write nothing"), required=False)
