"""Forms of the legacy-problem pages. They read and shape input; the services check the figures
(`services.clean_fields`) and decide who may change what."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.ledgers.forms import DateInput, ItemCreateForm
from guozi.ledgers.models import Register, Status

from . import selectors
from .models import LABELS, Kind, SubKind
from .selectors import ProblemFilters
from .services import FIELDS, stored_values

COUNT_FIELDS = ("households_total", "households_done", "people_total", "people_done")
AMOUNT_FIELDS = ("amount_total", "amount_done")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _figure_field(name: str) -> forms.Field:
    """One form field of the register; numbers stay text here so that the service reads and
    checks them the same way for the pages, the API and the import."""
    label = LABELS[name]
    if name == "kind":
        return forms.ChoiceField(label=label, choices=[("", "—"), *Kind.choices])
    if name == "sub_kind":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), *SubKind.choices],
            help_text=gettext_lazy(
                "三供一业: the function handed over; 处僵治困: how the enterprise is dealt with"
            ),
        )
    if name in COUNT_FIELDS:
        return forms.CharField(
            label=label,
            required=False,
            max_length=20,
            widget=forms.TextInput({"inputmode": "numeric"}),
        )
    if name in AMOUNT_FIELDS:
        return forms.CharField(
            label=label,
            required=False,
            max_length=30,
            widget=forms.TextInput({"inputmode": "decimal"}),
        )
    if name in ("planned_on", "done_on"):
        return forms.DateField(label=label, required=False, widget=DateInput)
    if name == "receiving_party":
        return forms.CharField(
            label=label,
            required=False,
            max_length=200,
            help_text=gettext_lazy("e.g. the city's water company or the street office"),
        )
    return forms.CharField(
        label=label, required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _figure_values(form: forms.Form, names) -> dict:
    values = {}
    for name in names:
        value = form.cleaned_data.get(name)
        values[name] = "" if value is None else value
    return values


class ProblemFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=LABELS["kind"], required=False, choices=())
    sub_kind = forms.ChoiceField(label=LABELS["sub_kind"], required=False, choices=())
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=())
    city = forms.ChoiceField(label=gettext_lazy("City"), required=False, choices=())
    owner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *Kind.choices]
        self.fields["sub_kind"].choices = [("", _("All sub-kinds")), *SubKind.choices]
        self.fields["status"].choices = [
            ("", _("Any status")),
            ("active", _("Not closed")),
            ("overdue", _("Overdue")),
            *Status.choices,
        ]
        self.fields["city"].choices = [("", _("All cities")), *selectors.cities(user)]

    def filters(self) -> ProblemFilters:
        """The filters asked for; an invalid form filters nothing out but shows its errors."""
        if not self.is_valid():
            return ProblemFilters()
        data = self.cleaned_data
        return ProblemFilters(
            kind=data["kind"],
            sub_kind=data["sub_kind"],
            status=data["status"],
            city=data["city"],
            owner=data["owner"],
            q=data["q"].replace("\x00", "").strip(),
        )


class ProblemCreateForm(ItemCreateForm):
    """The ledgers' form to open an item, with the register's own fields after it."""

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(user, Register.LEGACY_PROBLEM, *args, **kwargs)
        self.fields["description"].label = gettext_lazy("The problem and what is to be done")
        self.fields["source"].help_text = gettext_lazy("e.g. the programme or document behind it")
        for name in FIELDS:
            self.fields[name] = _figure_field(name)

    def service_arguments(self) -> dict:
        arguments = super().service_arguments()
        del arguments["register"], arguments["attributes"]
        return {**arguments, "fields": _figure_values(self, FIELDS)}


class FiguresForm(forms.Form):
    """The register's fields the user may change: all of them for the supervisor, the done
    figures, the actual date and the closure for the owner's people."""

    reason = forms.CharField(
        label=gettext_lazy("Reason for the change"), required=False, max_length=1000
    )

    def __init__(self, item, allowed: tuple[str, ...], *args, **kwargs) -> None:
        problem = getattr(item, "legacy_problem", None)
        initial = {}
        if problem is not None:
            initial = {
                name: ("" if value is None else value)
                for name, value in stored_values(problem).items()
            }
        super().__init__(*args, initial=initial, **kwargs)
        reason = self.fields.pop("reason")
        self.names = [name for name in FIELDS if name in allowed]
        for name in self.names:
            self.fields[name] = _figure_field(name)
        self.fields["reason"] = reason

    def changes(self) -> dict:
        return _figure_values(self, self.names)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(".xlsx, one row per problem, headers in the first row"),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: show the errors and changes, write nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Only .xlsx files can be imported."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
            )
        return upload
