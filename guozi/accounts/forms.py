from django import forms
from django.utils.translation import gettext_lazy as _

from guozi.lib import clock
from guozi.registry.models import Enterprise, Supervisor
from guozi.registry.selectors import find_by_identifier, supervisor_descendants

from .access import active_memberships
from .models import Role, User


def manageable_supervisor_ids(user) -> set[int]:
    """Supervisors at which a security administrator grants roles: their own and those below."""
    own = {
        m.supervisor_id
        for m in active_memberships(user)
        if m.role == Role.SECURITY_ADMIN and m.supervisor_id
    }
    return supervisor_descendants(own) if own else set()


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices]
    )
    node = forms.CharField(
        label=_("Node"),
        required=False,
        help_text=_("Supervisor code or name, enterprise USCC or name"),
    )


class UserCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")},
    )
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=User._meta.get_field("language").choices
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password_again = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class UserEditForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=User._meta.get_field("language").choices
    )


class MembershipForm(forms.Form):
    """A role at a supervisor (chosen from a list) or at an enterprise (given by id or USCC)."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    supervisor = forms.ModelChoiceField(
        label=_("Supervisor"), queryset=Supervisor.objects.none(), required=False
    )
    enterprise = forms.CharField(
        label=_("Enterprise"),
        required=False,
        help_text=_("Internal id, USCC or COUNTRY:registration number"),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DateInput)

    def __init__(self, *args, acting_user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("valid_from", clock.today())
        super().__init__(*args, **kwargs)
        self.allowed_supervisors = manageable_supervisor_ids(acting_user)
        self.fields["supervisor"].queryset = Supervisor.objects.filter(
            id__in=self.allowed_supervisors
        )

    def clean_enterprise(self) -> Enterprise | None:
        value = self.cleaned_data["enterprise"].strip()
        if not value:
            return None
        found = find_by_identifier(value)
        if found is None or found.supervisor_id not in self.allowed_supervisors:
            raise forms.ValidationError(
                _("No enterprise %(value)s under your supervisors."), params={"value": value}
            )
        return found

    def clean(self):
        data = super().clean()
        if data.get("supervisor") and data.get("enterprise"):
            raise forms.ValidationError(_("Choose a supervisor or an enterprise, not both."))
        if "supervisor" in data and "enterprise" in data:
            if not data.get("supervisor") and not data.get("enterprise"):
                raise forms.ValidationError(_("Choose a supervisor or an enterprise."))
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to and valid_to <= valid_from:
            self.add_error("valid_to", _("The end must come after the start."))
        return data


class MembershipEndForm(forms.Form):
    on = forms.DateField(label=_("Ends on"), widget=DateInput)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)


class LoginLogFilterForm(forms.Form):
    KINDS = [
        ("", _("Sign-ins and failures")),
        ("success", _("Sign-ins")),
        ("failure", _("Failures")),
    ]

    username = forms.CharField(label=_("User name"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=KINDS)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end must not come before the start."))
        return data
