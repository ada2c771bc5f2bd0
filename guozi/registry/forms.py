"""Forms of the registry pages. Field rules come from `validation.py`, shared with the import
and the API; the services check the rest (identity, cycles, totals, permission)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guozi.lib import clock
from guozi.lib.errors import DomainError

from . import selectors, validation
from .models import (
    EnterpriseStatus,
    FunctionClass,
    OutsideParty,
    OwnershipLevel,
    Portfolio,
    Supervisor,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _run(cleaner, *args):
    try:
        return cleaner(*args)
    except validation.FieldError as error:
        raise forms.ValidationError(error.message) from None


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: field messages by field, the rest on top."""
    for name, messages in error.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
    if error.message not in form.non_field_errors():
        form.add_error(None, error.message)


def visible_by_identifier(user, value: str):
    """The enterprise with this identifier if the user may read it; else a form error."""
    found = selectors.find_by_identifier(value)
    if found is None or not selectors.visible_enterprises(user).filter(id=found.id).exists():
        raise forms.ValidationError(
            _("No enterprise you can see has the identifier %(value)s.") % {"value": value}
        )
    return found


class SupervisorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class FunctionClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.supervisor.name} · {obj.name}" if self.several else obj.name

    several = False


class EnterpriseForm(forms.Form):
    """The enterprise's own fields, as a user enters them (derived fields are not here)."""

    name_zh = forms.CharField(label=_("Chinese name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    short_name = forms.CharField(label=_("short name"), max_length=60, required=False)
    uscc = forms.CharField(
        label=_("USCC"),
        max_length=40,
        required=False,
        help_text=_("18 characters (统一社会信用代码); leave blank for an enterprise abroad."),
    )
    foreign_reg_no = forms.CharField(
        label=_("foreign registration number"), max_length=60, required=False
    )
    foreign_country = forms.CharField(
        label=_("country"),
        max_length=2,
        required=False,
        help_text=_("Two letters (ISO 3166), e.g. DE or SG."),
    )
    supervisor = SupervisorChoiceField(label=_("supervisor"), queryset=Supervisor.objects.none())
    region_code = forms.CharField(
        label=_("region"),
        max_length=8,
        required=False,
        help_text=_("GB/T 2260 code, e.g. 210102."),
    )
    industry_code = forms.CharField(
        label=_("industry"),
        max_length=5,
        required=False,
        help_text=_("GB/T 4754-2017 division or finer, e.g. C31 or 31."),
    )
    function_class = FunctionClassChoiceField(
        label=_("functional class"), queryset=FunctionClass.objects.none(), required=False
    )
    ownership_level = forms.ChoiceField(
        label=_("ownership level"), choices=[("", "—"), *OwnershipLevel.choices]
    )
    portfolio = forms.ChoiceField(
        label=_("portfolio"), choices=Portfolio.choices, initial=Portfolio.OWN
    )
    listed_codes = forms.CharField(
        label=_("listed stock codes"),
        max_length=200,
        required=False,
        help_text=_("Separated by commas, e.g. 600019.SH."),
    )
    established_on = forms.DateField(label=_("established on"), required=False, widget=DATE_INPUT)
    main_business = forms.CharField(
        label=_("main business"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.warnings: list[str] = []
        editable = selectors.editable_supervisor_ids(user)
        self.fields["supervisor"].queryset = Supervisor.objects.filter(id__in=editable)
        classes = self.fields["function_class"]
        classes.queryset = FunctionClass.objects.filter(supervisor_id__in=editable).select_related(
            "supervisor"
        )
        classes.several = len(editable) > 1
        if len(editable) == 1:
            self.fields["supervisor"].initial = next(iter(editable))

    def clean_uscc(self):
        code, warnings = _run(validation.clean_uscc, self.cleaned_data["uscc"])
        self.warnings.extend(warnings)
        return code

    def clean_foreign_country(self):
        return _run(validation.clean_country, self.cleaned_data["foreign_country"])

    def clean_foreign_reg_no(self):
        return self.cleaned_data["foreign_reg_no"].strip()

    def clean_region_code(self):
        return _run(validation.clean_region, self.cleaned_data["region_code"])

    def clean_industry_code(self):
        return _run(validation.clean_industry, self.cleaned_data["industry_code"])

    def clean_listed_codes(self):
        return validation.clean_listed_codes(self.cleaned_data["listed_codes"])

    def clean(self):
        data = super().clean()
        supervisor, function_class = data.get("supervisor"), data.get("function_class")
        if supervisor and function_class and function_class.supervisor_id != supervisor.id:
            self.add_error(
                "function_class",
                _("This class belongs to another supervisor's list: pick one of %(name)s's.")
                % {"name": supervisor.name},
            )
        return data

    def enterprise_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in EnterpriseForm.base_fields}


class EnterpriseCreateForm(EnterpriseForm):
    field_order = [
        "name_zh",
        "name_en",
        "short_name",
        "uscc",
        "foreign_reg_no",
        "foreign_country",
        "supervisor",
        "parent",
        "ownership_pct",
        "valid_from",
    ]

    parent = forms.CharField(
        label=_("management parent"),
        max_length=60,
        required=False,
        help_text=_(
            "USCC or internal id of the enterprise that consolidates this one; "
            "leave blank for a group directly under the supervisor."
        ),
    )
    ownership_pct = forms.CharField(
        label=_("parent's stake %"),
        max_length=12,
        required=False,
        help_text=_("The parent's (or for a group, the supervisor's) ownership %, 0–100."),
    )
    valid_from = forms.DateField(label=_("in the tree from"), widget=DATE_INPUT)

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["valid_from"].initial = clock.today()

    def clean_parent(self):
        value = self.cleaned_data["parent"].strip()
        return visible_by_identifier(self.user, value) if value else None

    def clean_ownership_pct(self):
        return _run(validation.clean_pct, self.cleaned_data["ownership_pct"])

    def service_arguments(self) -> dict:
        parent = self.cleaned_data["parent"]
        return {
            "fields": self.enterprise_fields(),
            "parent": parent,
            "parent_supervisor": None if parent else self.cleaned_data["supervisor"],
            "ownership_pct": self.cleaned_data["ownership_pct"],
            "valid_from": self.cleaned_data["valid_from"],
        }


class EnterpriseEditForm(EnterpriseForm):
    status = forms.ChoiceField(label=_("status"), choices=EnterpriseStatus.choices)
    status_on = forms.DateField(label=_("status since"), required=False, widget=DATE_INPUT)

    def __init__(self, user, enterprise, *args, **kwargs):
        initial = {name: getattr(enterprise, name) for name in self.base_fields}
        initial["uscc"] = enterprise.uscc or ""
        super().__init__(user, *args, initial=initial, **kwargs)
        self.enterprise = enterprise
        if enterprise.status != EnterpriseStatus.MERGED:
            # Merging has its own form: it moves the subsidiaries too.
            self.fields["status"].choices = [
                choice
                for choice in EnterpriseStatus.choices
                if choice[0] != EnterpriseStatus.MERGED
            ]

    def changes(self) -> dict:
        fields = {**self.enterprise_fields()}
        fields["status"] = self.cleaned_data["status"]
        fields["status_on"] = self.cleaned_data["status_on"]
        return {
            name: value
            for name, value in fields.items()
            if (value or None) != (getattr(self.enterprise, name) or None)
        }


class HolderKind:
    ENTERPRISE = "enterprise"
    SUPERVISOR = "supervisor"
    PARTY = "party"
    CHOICES = [
        (ENTERPRISE, _("An enterprise")),
        (SUPERVISOR, _("A supervisor")),
        (PARTY, _("An outside party")),
    ]


class EquityHolderForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("holder is"),
        choices=HolderKind.CHOICES,
        widget=forms.RadioSelect,
        initial=HolderKind.ENTERPRISE,
    )
    holder_enterprise = forms.CharField(
        label=_("holding enterprise"),
        max_length=60,
        required=False,
        help_text=_("Its USCC or internal id."),
    )
    holder_supervisor = SupervisorChoiceField(
        label=_("holding supervisor"), queryset=Supervisor.objects.none(), required=False
    )
    holder_party = forms.ModelChoiceField(
        label=_("outside party"), queryset=OutsideParty.objects.order_by("id"), required=False
    )
    pct = forms.CharField(label=_("ownership %"), max_length=12)
    valid_from = forms.DateField(label=_("valid from"), widget=DATE_INPUT)
    valid_to = forms.DateField(
        label=_("valid to"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Leave blank while the stake is held."),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["holder_supervisor"].queryset = selectors.readable_supervisors(user)
        self.fields["valid_from"].initial = clock.today()

    def clean_pct(self):
        return _run(validation.clean_pct, self.cleaned_data["pct"])

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == HolderKind.ENTERPRISE:
            value = (data.get("holder_enterprise") or "").strip()
            if not value:
                self.add_error("holder_enterprise", _("Give the holding enterprise."))
            else:
                try:
                    data["holder"] = visible_by_identifier(self.user, value)
                except forms.ValidationError as error:
                    self.add_error("holder_enterprise", error)
        elif kind == HolderKind.SUPERVISOR:
            data["holder"] = data.get("holder_supervisor")
            if data["holder"] is None:
                self.add_error("holder_supervisor", _("Pick the holding supervisor."))
        elif kind == HolderKind.PARTY:
            data["holder"] = data.get("holder_party")
            if data["holder"] is None:
                self.add_error("holder_party", _("Pick the outside party."))
        return data

    def service_arguments(self) -> dict:
        return {
            "holder": self.cleaned_data["holder"],
            "pct": self.cleaned_data["pct"],
            "valid_from": self.cleaned_data["valid_from"],
            "valid_to": self.cleaned_data["valid_to"],
        }


class TransferForm(forms.Form):
    new_parent = forms.CharField(
        label=_("new management parent"),
        max_length=60,
        help_text=_("USCC or internal id of the enterprise that takes it over."),
    )
    on = forms.DateField(label=_("effective on"), widget=DATE_INPUT)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["on"].initial = clock.today()

    def clean_new_parent(self):
        return visible_by_identifier(self.user, self.cleaned_data["new_parent"].strip())


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("absorbed by"),
        max_length=60,
        help_text=_("USCC or internal id of the enterprise that absorbs this one."),
    )
    on = forms.DateField(label=_("effective on"), widget=DATE_INPUT)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["on"].initial = clock.today()

    def clean_into(self):
        return visible_by_identifier(self.user, self.cleaned_data["into"].strip())
