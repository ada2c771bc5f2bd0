"""Forms of the R&D register's pages. They read and shape input; the services decide what is
allowed and check every rule (amounts are passed on as typed, so a form and an import give the
same messages)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guozi.ledgers.forms import DateInput, ItemCreateForm
from guozi.ledgers.models import Register, Status
from guozi.lib import clock

from .models import OutcomeKind, ProjectKind, StandardLevel, TechField
from .selectors import ProjectFilters, SummaryFilters

AMOUNT_HELP = gettext_lazy("In yuan; 125万 and 0.5亿 are understood too")


def _year_choices(first: int, last: int) -> list[tuple[str, str]]:
    return [(str(year), str(year)) for year in range(first, last + 1)]


def _filter_years() -> list[tuple[str, str]]:
    today = clock.today()
    return [("", _("Any year")), *_year_choices(today.year - 6, today.year + 4)[::-1]]


class ProjectFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    tech_field = forms.ChoiceField(
        label=gettext_lazy("Technology field"), required=False, choices=()
    )
    kind = forms.ChoiceField(label=gettext_lazy("Project kind"), required=False, choices=())
    year = forms.TypedChoiceField(
        label=gettext_lazy("Running in"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=())
    owner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tech_field"].choices = [("", _("Any field")), *TechField.choices]
        self.fields["kind"].choices = [("", _("Any kind")), *ProjectKind.choices]
        self.fields["year"].choices = _filter_years()
        self.fields["status"].choices = [
            ("", _("Any status")),
            ("active", _("Not closed")),
            *Status.choices,
        ]

    def filters(self) -> ProjectFilters:
        """The filters asked for; an invalid form filters nothing out but shows its errors."""
        if not self.is_valid():
            return ProjectFilters()
        data = self.cleaned_data
        return ProjectFilters(
            tech_field=data["tech_field"],
            kind=data["kind"],
            year=data["year"],
            status=data["status"],
            owner=data["owner"],
            q=data["q"].replace("\x00", "").strip(),
        )


class SummaryFilterForm(forms.Form):
    year = forms.TypedChoiceField(
        label=gettext_lazy("Year"), required=False, coerce=int, empty_value=None
    )
    q = forms.CharField(label=gettext_lazy("Enterprise"), required=False, max_length=100)
    flagged = forms.BooleanField(
        label=gettext_lazy("Only spend above reported R&D"), required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _filter_years()

    def filters(self) -> SummaryFilters:
        if not self.is_valid():
            return SummaryFilters()
        data = self.cleaned_data
        return SummaryFilters(
            year=data["year"], q=data["q"].replace("\x00", "").strip(), flagged=data["flagged"]
        )


class DetailsFields(forms.Form):
    """The project's own fields; years and amounts are checked by the services."""

    tech_field = forms.ChoiceField(label=gettext_lazy("Technology field"), choices=())
    kind = forms.ChoiceField(label=gettext_lazy("Project kind"), choices=())
    start_year = forms.CharField(label=gettext_lazy("Start year"), max_length=6)
    end_year = forms.CharField(label=gettext_lazy("End year"), max_length=6)
    total_budget = forms.CharField(
        label=gettext_lazy("Total budget (yuan)"), max_length=40, help_text=AMOUNT_HELP
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tech_field"].choices = [("", "—"), *TechField.choices]
        self.fields["kind"].choices = [("", "—"), *ProjectKind.choices]

    def details(self) -> dict:
        return {name: self.cleaned_data[name] for name in DetailsFields.base_fields}


class ProjectCreateForm(ItemCreateForm):
    """The ledgers' form to open an item, with the project's own fields."""

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(user, Register.RD_PROJECT, *args, **kwargs)
        self.fields["title"].label = gettext_lazy("Project title")
        self.fields["due_date"].label = gettext_lazy("Planned completion")
        self.fields["description"].label = gettext_lazy("Goals and main tasks")
        del self.fields["source"]
        self.fields.update(DetailsFields().fields)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "owner": data["owner"],
            "title": data["title"],
            "description": data["description"],
            "due_date": data["due_date"],
            "responsible_name": data["responsible_name"],
            "progress_rule": data["progress_rule"],
            "milestones": data["milestones"].splitlines(),
            **{name: data[name] for name in DetailsFields.base_fields},
        }


class ProjectEditForm(DetailsFields):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the change"), required=False, max_length=1000
    )


class YearForm(forms.Form):
    year = forms.CharField(label=gettext_lazy("Year"), max_length=6)
    budget = forms.CharField(
        label=gettext_lazy("Budget (yuan)"), max_length=40, help_text=AMOUNT_HELP
    )
    spend = forms.CharField(
        label=gettext_lazy("Spend (yuan)"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Empty while not known yet"),
    )


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of outcome"), choices=OutcomeKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    identifier = forms.CharField(
        label=pgettext_lazy("outcome", "Number"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("Patent or standard number, e.g. ZL202310123456.7, GB/T 45001-2025"),
    )
    achieved_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    level = forms.ChoiceField(
        label=gettext_lazy("Level (standards)"),
        required=False,
        choices=[("", "—"), *StandardLevel.choices],
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=1000)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(".xlsx, one row per project and year, headers in the first row"),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: show the problems, write nothing"),
        required=False,
        initial=True,
    )
