"""Forms of the reform pages. They read and shape input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.ledgers.forms import DateInput
from guozi.registry.directory import filter_options
from guozi.registry.forms import visible_by_identifier
from guozi.registry.selectors import readable_supervisors, visible_enterprises
from guozi.registry.tree import TreeSnapshot

from .catalogues import UNITS, current_catalogues
from .models import Catalogue
from .selectors import Filters, enterprise_names

MAX_IDENTIFIERS = 2000


def _catalogue_choices(empty: str | None = None) -> list[tuple[str, str]]:
    choices = [(c.code, c.name) for c in current_catalogues()]
    return [("", empty), *choices] if empty is not None else choices


def _area_choices(programme: str = "") -> list[tuple[str, str]]:
    choices = []
    for catalogue in current_catalogues():
        if programme and catalogue.code != programme:
            continue
        for area in catalogue.areas.all():
            label = area.name if programme else f"{catalogue.name} · {area.name}"
            choices.append((area.code, label))
    unique = dict(choices)
    return [("", _("All areas")), *unique.items()]


class CompletionFilterForm(forms.Form):
    supervisor = forms.TypedChoiceField(
        label=gettext_lazy("Supervisor"), required=False, coerce=int, empty_value=None
    )
    city = forms.ChoiceField(label=gettext_lazy("City"), required=False)
    group = forms.TypedChoiceField(
        label=gettext_lazy("Group"), required=False, coerce=int, empty_value=None
    )
    programme = forms.ChoiceField(label=gettext_lazy("Programme"), required=False)
    area = forms.ChoiceField(label=gettext_lazy("Task area"), required=False)
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False, widget=DateInput)

    def __init__(self, user, tree: TreeSnapshot, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        supervisors = list(readable_supervisors(user).order_by("id"))
        self.fields["supervisor"].choices = [
            ("", _("All supervisors")),
            *((s.id, s.name) for s in supervisors),
        ]
        self.fields["city"].choices = [("", _("All cities")), *filter_options(user).cities]
        visible_groups = set(
            visible_enterprises(user)
            .filter(id__in=list(tree.supervisor_of_group))
            .values_list("id", flat=True)
        )
        names = enterprise_names(visible_groups)
        self.fields["group"].choices = [
            ("", _("All groups")),
            *sorted(((i, names.get(i, str(i))) for i in visible_groups), key=lambda c: c[1]),
        ]
        self.fields["programme"].choices = _catalogue_choices(_("All programmes"))
        programme = (self.data.get("programme") or "") if self.is_bound else ""
        self.fields["area"].choices = _area_choices(programme)

    def filters(self) -> Filters:
        """The filters asked for; an invalid form filters nothing out but shows its errors."""
        if not self.is_bound or not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            supervisor=data["supervisor"],
            city=data["city"],
            group=data["group"],
            programme=data["programme"],
            area=data["area"],
            as_of=data["as_of"],
        )


def _identifiers(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").replace("，", "\n").splitlines()
            if part.strip()]  # fmt: skip


class AssignForm(forms.Form):
    """Catalogue tasks to many enterprises at once."""

    tasks = forms.MultipleChoiceField(
        label=gettext_lazy("Tasks"), widget=forms.CheckboxSelectMultiple
    )
    groups = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Groups"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    others = forms.CharField(
        label=gettext_lazy("Other enterprises"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("USCC or internal id, one per line: subsidiaries, for example."),
    )
    weight = forms.IntegerField(
        label=gettext_lazy("Weight"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=gettext_lazy("Leave empty for each task's weight in the catalogue."),
    )
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=DateInput,
        help_text=gettext_lazy("Leave empty for each task's deadline in the catalogue."),
    )
    responsible_name = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=100
    )

    def __init__(self, user, catalogue: Catalogue, groups: list[tuple[int, str]], *args, **kw):
        super().__init__(*args, **kw)
        self.user = user
        self.catalogue = catalogue
        self.fields["tasks"].choices = [
            (task.code, f"{task.area.name} · {task.name} ({task.deadline:%Y-%m-%d})")
            for task in catalogue.tasks.select_related("area")
        ]
        self.fields["groups"].choices = groups

    def clean_others(self):
        identifiers = _identifiers(self.cleaned_data["others"])
        if len(identifiers) > MAX_IDENTIFIERS:
            raise forms.ValidationError(
                _("At most %(n)s identifiers at once.") % {"n": MAX_IDENTIFIERS}
            )
        found, problems = [], []
        for identifier in identifiers:
            try:
                found.append(visible_by_identifier(self.user, identifier))
            except forms.ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise forms.ValidationError(problems[:10])
        return found

    def enterprises(self) -> list:
        chosen = self.cleaned_data.get("groups") or []
        groups = list(visible_enterprises(self.user).filter(id__in=chosen).order_by("id"))
        seen = {e.id for e in groups}
        others = [e for e in self.cleaned_data.get("others") or [] if e.id not in seen]
        return groups + list({e.id: e for e in others}.values())

    def chosen_tasks(self) -> list:
        codes = set(self.cleaned_data.get("tasks") or [])
        return [t for t in self.catalogue.tasks.all() if t.code in codes]


class OwnTaskForm(forms.Form):
    """A task of the supervisor's own, in an area of a programme."""

    owner = forms.CharField(
        label=gettext_lazy("Enterprise"),
        help_text=gettext_lazy("USCC or internal id"),
        max_length=60,
    )
    area = forms.ChoiceField(label=gettext_lazy("Task area"))
    title = forms.CharField(label=gettext_lazy("Task"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    measures = forms.CharField(
        label=gettext_lazy("Measures"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One per line. The task's percent complete is the share of its measures done."
        ),
    )
    weight = forms.IntegerField(label=gettext_lazy("Weight"), min_value=1, max_value=1000)
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DateInput)
    target_value = forms.DecimalField(
        label=gettext_lazy("Target"), required=False, max_digits=14, decimal_places=4, min_value=0
    )
    target_unit = forms.ChoiceField(
        label=gettext_lazy("Unit"), required=False, choices=[("", "—"), *((u, u) for u in UNITS)]
    )
    responsible_name = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=100
    )

    def __init__(self, user, catalogue: Catalogue, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.catalogue = catalogue
        self.fields["area"].choices = [(a.code, a.name) for a in catalogue.areas.all()]

    def clean_owner(self):
        return visible_by_identifier(self.user, self.cleaned_data["owner"])

    def clean_measures(self):
        lines = [line.strip() for line in self.cleaned_data["measures"].splitlines()]
        return [line for line in lines if line]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "owner": data["owner"],
            "catalogue": self.catalogue,
            "area_code": data["area"],
            "title": data["title"],
            "description": data["description"],
            "measures": data["measures"],
            "weight": data["weight"],
            "deadline": data["deadline"],
            "target_value": data["target_value"],
            "target_unit": data["target_unit"],
            "responsible_name": data["responsible_name"],
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Workbook"),
        help_text=gettext_lazy(".xlsx (or .csv), the headers in the first row"),
    )
    check_only = forms.BooleanField(label=gettext_lazy("Check only"), required=False)


class ProposalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Measure"), max_length=200)
    note = forms.CharField(
        label=gettext_lazy("Why"), required=False, max_length=2000, widget=forms.Textarea
    )
