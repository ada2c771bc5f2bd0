"""Forms of the supply-chain pages. They read and shape input; the services check the values
(with the same words as the API and the import) and decide who may do what."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guozi.ledgers.forms import DateInput, ItemCreateForm
from guozi.ledgers.models import Status
from guozi.lib.errors import DomainError

from .models import FLAG_LABELS, Band, Category, Criticality, SupplyInput
from .selectors import InputFilters
from .services import FEN_PER_WAN

YES_NO = (("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No")))


class InputFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Enterprise, input or supplier"), required=False, max_length=100
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False, choices=())
    flag = forms.ChoiceField(label=gettext_lazy("Flag"), required=False, choices=())
    band = forms.ChoiceField(label=gettext_lazy("Concentration"), required=False, choices=())
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=())
    owner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    subtree = forms.BooleanField(label=gettext_lazy("With subsidiaries"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any category")), *Category.choices]
        self.fields["flag"].choices = [("", _("Any flag")), *FLAG_LABELS.items()]
        self.fields["band"].choices = [
            ("", _("Any concentration")),
            *Band.choices,
            ("none", _("No suppliers recorded")),
        ]
        self.fields["status"].choices = [
            ("", _("Any status")),
            ("active", _("Not closed")),
            *Status.choices,
        ]

    def filters(self) -> InputFilters:
        """The filters asked for; an invalid form filters nothing out but shows its errors."""
        if not self.is_valid():
            return InputFilters()
        data = self.cleaned_data
        return InputFilters(
            q=data["q"].replace("\x00", "").strip(),
            category=data["category"],
            flag=data["flag"],
            band=data["band"],
            status=data["status"],
            owner=data["owner"],
            subtree=data["subtree"],
        )


def _wan(fen: int | None) -> str:
    """Fen as 万元 text without trailing zeros, for a form's initial value."""
    if fen is None:
        return ""
    whole, rest = divmod(fen, FEN_PER_WAN)
    return f"{whole}.{rest:06d}".rstrip("0").rstrip(".") if rest else str(whole)


class InputForm(forms.Form):
    """The input's own fields, as text: the service checks them."""

    name = forms.CharField(label=pgettext_lazy("supply", "Input"), max_length=200)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    criticality = forms.ChoiceField(
        label=gettext_lazy("Criticality"),
        choices=Criticality.choices,
        initial=Criticality.IMPORTANT,
        help_text=gettext_lazy(
            "Critical: production stops without it; important: production is cut back; "
            "general: a shortfall can be bridged for months."
        ),
    )
    domestic_alternative = forms.ChoiceField(
        label=gettext_lazy("Domestic alternative available"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("A supplier in China that could replace the present ones."),
    )
    annual_spend = forms.CharField(
        label=gettext_lazy("Annual spend (10,000 yuan)"), required=False, max_length=30
    )
    annual_volume = forms.CharField(
        label=gettext_lazy("Annual volume"), required=False, max_length=30
    )
    volume_unit = forms.CharField(
        label=gettext_lazy("Unit of the volume"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("e.g. 万吨, 台, 套"),
    )

    @classmethod
    def initial_of(cls, supply_input: SupplyInput) -> dict:
        volume = supply_input.annual_volume
        return {
            "name": supply_input.name,
            "category": supply_input.category,
            "criticality": supply_input.criticality,
            "domestic_alternative": "yes" if supply_input.domestic_alternative else "no",
            "annual_spend": _wan(supply_input.annual_spend_fen),
            "annual_volume": "" if volume is None else format(volume.normalize(), "f"),
            "volume_unit": supply_input.volume_unit,
        }

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "category": data["category"],
            "criticality": data["criticality"],
            "domestic_alternative": data["domestic_alternative"] == "yes",
            "annual_spend": data["annual_spend"],
            "annual_volume": data["annual_volume"],
            "volume_unit": data["volume_unit"],
        }


class SourceForm(forms.Form):
    supplier = forms.CharField(label=gettext_lazy("Supplier"), required=False, max_length=200)
    uscc = forms.CharField(
        label=gettext_lazy("USCC (suppliers in China)"), required=False, max_length=30
    )
    country = forms.CharField(
        label=gettext_lazy("Country or region"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"size": 4, "placeholder": "CN"}),
    )
    share = forms.CharField(
        label=gettext_lazy("Share of supply (%)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"size": 6, "inputmode": "decimal"}),
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any((data.get(name) or "").strip() for name in self.fields)


SourceFormSet = forms.formset_factory(SourceForm, extra=3, max_num=50, absolute_max=60)


def source_formset(data=None, supply_input: SupplyInput | None = None):
    """The suppliers' rows: the stored ones to show, or the posted ones to check. Every posted
    row is read, changed or not: the service decides what a row means."""
    if data is not None:
        return SourceFormSet(data, prefix="sources", form_kwargs={"empty_permitted": False})
    initial = []
    if supply_input is not None:
        initial = [
            {
                "supplier": s.supplier_name,
                "uscc": s.uscc,
                "country": s.country,
                "share": format(s.share.normalize(), "f"),
            }
            for s in supply_input.sources.order_by("position")
        ]
    return SourceFormSet(initial=initial, prefix="sources")


def sources_from(formset) -> tuple[list[dict], list[int]]:
    """The filled rows as the service takes them, and which form each came from."""
    rows, forms_used = [], []
    for index, form in enumerate(formset.forms):
        if form.is_blank():
            continue
        data = form.cleaned_data
        rows.append({name: data.get(name, "") for name in ("supplier", "uscc", "country", "share")})
        forms_used.append(index)
    return rows, forms_used


def show_source_errors(formset, error: DomainError, forms_used: list[int]) -> None:
    """Put the service's `sources.<n>.<field>` messages on the rows they concern; `sources`
    messages above the table."""
    formset.problems = list(error.fields.get("sources", []))
    for name, messages in error.fields.items():
        parts = name.split(".")
        if len(parts) != 3 or parts[0] != "sources" or not parts[1].isdigit():
            continue
        number = int(parts[1])
        if number < len(forms_used):
            form = formset.forms[forms_used[number]]
            for message in messages:
                form.add_error(parts[2] if parts[2] in form.fields else None, message)


class CreateForm(InputForm):
    """A new input with its item: the owner, the mitigation's term and plan."""

    owner = forms.CharField(
        label=gettext_lazy("Enterprise"),
        max_length=200,
        help_text=gettext_lazy("USCC, internal id, or the exact full or short name"),
    )
    title = forms.CharField(
        label=gettext_lazy("Title of the item"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Blank: the input's name"),
    )
    due_date = forms.DateField(
        label=gettext_lazy("Mitigation due"), required=False, widget=DateInput
    )
    responsible_name = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=100
    )
    plan = forms.CharField(
        label=gettext_lazy("Mitigation plan"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    field_order = ["owner", "name", "category", "criticality", "domestic_alternative"]

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    # The ledgers' own lookup: USCC, internal id, or an unambiguous name the user can see.
    clean_owner = ItemCreateForm.clean_owner

    def item_values(self) -> dict:
        data = self.cleaned_data
        return {
            "owner": data["owner"],
            "title": data["title"],
            "due_date": data["due_date"],
            "responsible_name": data["responsible_name"],
            "plan": data["plan"],
        }
