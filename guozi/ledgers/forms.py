"""Forms of the ledger pages. They read and shape input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from .models import ProgressRule, Register, Status, TrackedItem
from .registers import REGISTERS, RegisterSpec
from .selectors import ItemFilters


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    register = forms.ChoiceField(label=gettext_lazy("Register"), required=False, choices=())
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=())
    owner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    subtree = forms.BooleanField(label=gettext_lazy("With subsidiaries"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    due_soon = forms.BooleanField(label=gettext_lazy("Due within a week"), required=False)
    due_before = forms.DateField(label=gettext_lazy("Due before"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["register"].choices = [("", _("All registers")), *Register.choices]
        self.fields["status"].choices = [
            ("", _("Any status")),
            ("active", _("Not closed")),
            *Status.choices,
        ]

    def filters(self) -> ItemFilters:
        """The filters asked for; an invalid form filters nothing out but shows its errors."""
        if not self.is_valid():
            return ItemFilters()
        data = self.cleaned_data
        return ItemFilters(
            register=data["register"],
            status=data["status"],
            owner=data["owner"],
            subtree=data["subtree"],
            overdue=data["overdue"],
            due_soon=data["due_soon"],
            due_before=data["due_before"],
            q=data["q"].replace("\x00", "").strip(),
        )


def _attribute_fields(spec: RegisterSpec) -> dict[str, forms.Field]:
    """One form field per register attribute, named attr_<key>."""
    fields = {}
    for attribute in spec.attributes:
        if attribute.kind == "choice":
            field = forms.ChoiceField(
                label=attribute.label,
                required=attribute.required,
                choices=[("", "—"), *attribute.choices],
            )
        elif attribute.kind == "date":
            field = forms.DateField(
                label=attribute.label, required=attribute.required, widget=DateInput
            )
        else:
            field = forms.CharField(
                label=attribute.label,
                required=attribute.required,
                max_length=attribute.max_length,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        fields[f"attr_{attribute.key}"] = field
    return fields


def attributes_from(spec: RegisterSpec, data: dict) -> dict:
    values = {}
    for attribute in spec.attributes:
        value = data.get(f"attr_{attribute.key}")
        values[attribute.key] = value.isoformat() if hasattr(value, "isoformat") else value or ""
    return values


class ItemCreateForm(forms.Form):
    owner = forms.CharField(
        label=gettext_lazy("Owner enterprise"),
        max_length=200,
        help_text=gettext_lazy("USCC, internal id, or the exact full or short name"),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Finding and what is to be done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DateInput)
    responsible_name = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=100
    )
    source = forms.CharField(
        label=gettext_lazy("Source"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("e.g. the inspection or audit that found it"),
    )
    progress_rule = forms.ChoiceField(
        label=gettext_lazy("Progress rule"), choices=ProgressRule.choices
    )
    milestones = forms.CharField(
        label=gettext_lazy("Milestones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line; for the milestones rule only"),
    )

    def __init__(self, user, register: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.spec = REGISTERS[register]
        self.fields["progress_rule"].initial = self.spec.default_rule
        self.fields.update(_attribute_fields(self.spec))

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
            "register": self.spec.register,
            "owner": data["owner"],
            "title": data["title"],
            "description": data["description"],
            "due_date": data["due_date"],
            "responsible_name": data["responsible_name"],
            "source": data["source"],
            "progress_rule": data["progress_rule"],
            "milestones": data["milestones"].splitlines(),
            "attributes": attributes_from(self.spec, data),
        }


class ItemEditForm(forms.Form):
    """The supervisor edits everything below; the owner's people the responsible person only."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Finding and what is to be done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DateInput)
    source = forms.CharField(label=gettext_lazy("Source"), required=False, max_length=300)
    responsible_name = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=100
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the change"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Required when the due date changes"),
    )

    OWNER_FIELDS = ("responsible_name",)

    def __init__(self, item: TrackedItem, *args, manager: bool, **kwargs) -> None:
        self.spec = REGISTERS[item.register]
        initial = {
            "title": item.title,
            "description": item.description,
            "due_date": item.due_date,
            "source": item.source,
            "responsible_name": item.responsible_name,
            **{f"attr_{key}": value for key, value in item.attributes.items()},
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.manager = manager
        if manager:
            self.fields.update(_attribute_fields(self.spec))
            reason = self.fields.pop("reason")
            self.fields["reason"] = reason
        else:
            for name in list(self.fields):
                if name not in self.OWNER_FIELDS:
                    del self.fields[name]

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {name: data[name] for name in self.fields if name != "reason"}
        if self.manager:
            for name in list(changes):
                if name.startswith("attr_"):
                    del changes[name]
            changes["attributes"] = attributes_from(self.spec, data)
        return changes


class UpdateForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What was done"), widget=forms.Textarea(attrs={"rows": 4})
    )
    progress = forms.IntegerField(
        label=gettext_lazy("Progress (%)"), required=False, min_value=0, max_value=100
    )
    milestones = forms.MultipleChoiceField(
        label=gettext_lazy("Milestones done"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, item: TrackedItem, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if item.progress_rule == ProgressRule.MILESTONES:
            self.fields["milestones"].choices = [
                (str(m.id), m.title) for m in item.milestones.all() if not m.done_on
            ]
        else:
            del self.fields["milestones"]
        if item.progress_rule != ProgressRule.MANUAL:
            del self.fields["progress"]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "progress": data.get("progress"),
            "milestones": [int(value) for value in data.get("milestones", [])],
        }


class ItemImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(".xlsx, one row per item, headers in the first row"),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: show the errors and changes, write nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Only .xlsx files can be imported."))
        return upload
