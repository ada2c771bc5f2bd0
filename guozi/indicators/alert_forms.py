"""Forms of the alert pages. They read and shape input; the services decide what is allowed."""

import math
import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.lib.periods import Period
from guozi.registry.directory import filter_options

from .alert_selectors import (
    AlertFilters,
    TargetGrid,
    alert_rules,
    from_display,
    language,
    supervisors_for,
    to_display,
)
from .definitions import Scenario
from .models import AlertStatus, DebtLineMethod, Severity

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def clean_period(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return str(Period.parse(value))
    except ValueError:
        raise forms.ValidationError(
            _("%(value)s is not a period; write it like 2026-07.") % {"value": value[:20]}
        ) from None


class AlertFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Enterprise"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=())
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), required=False, choices=())
    rule = forms.ChoiceField(label=gettext_lazy("Rule"), required=False, choices=())
    supervisor = forms.ChoiceField(label=gettext_lazy("Supervisor"), required=False, choices=())
    city = forms.ChoiceField(label=gettext_lazy("City"), required=False, choices=())
    period_from = forms.CharField(label=gettext_lazy("From period"), required=False, max_length=20)
    period_to = forms.CharField(label=gettext_lazy("To period"), required=False, max_length=20)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        lang = language()
        self.fields["status"].choices = [
            ("", _("Any status")),
            ("active", _("Not cleared")),
            *AlertStatus.choices,
        ]
        self.fields["severity"].choices = [("", _("Any severity")), *Severity.choices]
        self.fields["rule"].choices = [
            ("", _("Any rule")),
            *[(r.code, r.name(lang)) for r in alert_rules()],
        ]
        self.fields["supervisor"].choices = [
            ("", _("Any supervisor")),
            *[(str(s.id), s.name) for s in supervisors_for(user)],
        ]
        self.fields["city"].choices = [("", _("Any city")), *filter_options(user).cities]
        for name in ("period_from", "period_to"):
            self.fields[name].widget.attrs["placeholder"] = "2026-07"

    def clean_period_from(self) -> str:
        return clean_period(self.cleaned_data["period_from"])

    def clean_period_to(self) -> str:
        return clean_period(self.cleaned_data["period_to"])

    def filters(self) -> AlertFilters:
        """The filters asked for; an invalid form filters nothing out but shows its errors."""
        if not self.is_valid():
            return AlertFilters()
        data = self.cleaned_data
        return AlertFilters(
            status=data["status"],
            severity=data["severity"],
            rule=data["rule"],
            supervisor=int(data["supervisor"]) if data["supervisor"] else None,
            city=data["city"],
            q=data["q"].replace("\x00", "").strip(),
            period_from=data["period_from"],
            period_to=data["period_to"],
        )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class RectifyForm(forms.Form):
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=DateInput,
        help_text=gettext_lazy("Empty: the rectification register's usual term."),
    )
    responsible_name = forms.CharField(
        label=gettext_lazy("Responsible person"), required=False, max_length=100
    )


class MethodForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Method"), choices=DebtLineMethod.choices, widget=forms.RadioSelect
    )


class BaselineForm(forms.Form):
    industry = forms.CharField(
        label=gettext_lazy("Industry"),
        max_length=5,
        help_text=gettext_lazy("A GB/T 4754 section (C) or division (C31)."),
    )
    baseline = forms.FloatField(
        label=gettext_lazy("Baseline debt ratio (%)"),
        help_text=gettext_lazy("Last year's average debt ratio of the industry."),
    )
    source = forms.CharField(label=gettext_lazy("Source"), required=False, max_length=300)

    def clean_industry(self) -> str:
        return self.cleaned_data["industry"].strip().upper()

    def clean_baseline(self) -> float:
        value = self.cleaned_data["baseline"]
        if not math.isfinite(value) or not 0 < value < 100:
            raise forms.ValidationError(_("Enter a debt ratio above 0% and below 100%."))
        return value / 100


class BacktestForm(forms.Form):
    rule = forms.ChoiceField(label=gettext_lazy("Rule"), choices=())
    period_from = forms.ChoiceField(label=gettext_lazy("From period"), choices=())
    period_to = forms.ChoiceField(label=gettext_lazy("To period"), choices=())

    def __init__(self, periods: list[str], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        lang = language()
        self.fields["rule"].choices = [(r.code, r.name(lang)) for r in alert_rules()]
        self.fields["period_from"].choices = [(p, p) for p in periods]
        self.fields["period_to"].choices = [(p, p) for p in periods]
        if periods:
            self.fields["period_from"].initial = periods[max(0, len(periods) - 12)]
            self.fields["period_to"].initial = periods[-1]


class StressForm(forms.Form):
    CUSTOM = "custom"

    scenario = forms.ChoiceField(label=gettext_lazy("Scenario"), choices=())
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=())
    supervisor = forms.ChoiceField(label=gettext_lazy("Portfolio"), required=False, choices=())
    revenue = forms.FloatField(label=gettext_lazy("Revenue change (%)"), required=False)
    operating_cost = forms.FloatField(
        label=gettext_lazy("Operating cost change (%)"), required=False
    )
    interest_bp = forms.FloatField(
        label=gettext_lazy("Interest rate change (basis points a year)"), required=False
    )
    one_off_loss = forms.FloatField(label=gettext_lazy("One-off loss (万元)"), required=False)
    tax_rate = forms.FloatField(label=gettext_lazy("Tax rate (%)"), required=False)

    SHOCKS = ("revenue", "operating_cost", "interest_bp", "one_off_loss", "tax_rate")

    def __init__(self, user, periods: list[str], scenarios: list[Scenario], *args, **kwargs):
        super().__init__(*args, **kwargs)
        lang = language()
        self.scenarios = {s.code: s for s in scenarios}
        self.fields["scenario"].choices = [
            *[(s.code, s.name(lang)) for s in scenarios],
            (self.CUSTOM, _("Shocks entered here")),
        ]
        self.fields["period"].choices = [(p, p) for p in periods]
        self.fields["supervisor"].choices = [
            ("", _("All enterprises I may read")),
            *[(str(s.id), s.name) for s in supervisors_for(user)],
        ]
        if scenarios:
            self.fields["scenario"].initial = scenarios[0].code
        if periods:
            self.fields["period"].initial = periods[0]
        self.fields["tax_rate"].initial = 25

    def shocks(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.SHOCKS}


class TargetUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Filled template (.xlsx)"))


class TargetGridForm(forms.Form):
    """One text input per group and indicator, in the indicator's display unit (percent for
    % ratios); an empty input removes the target."""

    def __init__(self, grid: TargetGrid, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.grid = grid
        for row in grid.rows:
            for indicator, cell in zip(grid.indicators, row.cells, strict=True):
                shown = to_display(indicator, cell.target)
                self.fields[self.name(row.enterprise.id, indicator.code)] = forms.CharField(
                    required=False,
                    max_length=30,
                    initial="" if shown is None else f"{shown:.6g}",
                    label=f"{row.enterprise.name} · {indicator.name(language())}",
                )

    @staticmethod
    def name(enterprise_id: int, code: str) -> str:
        return f"t_{enterprise_id}_{code}"

    def clean(self):
        data = super().clean()
        for row in self.grid.rows:
            for indicator in self.grid.indicators:
                name = self.name(row.enterprise.id, indicator.code)
                text = (data.get(name) or "").replace(",", "").strip()
                if indicator.unit == "%" and text.endswith("%"):
                    text = text[:-1].strip()
                if text and not _NUMBER.fullmatch(text):
                    self.add_error(name, _("Enter a number."))
                    continue
                data[name] = from_display(indicator, float(text)) if text else None
        return data

    def values(self) -> dict[tuple[int, str], float | None]:
        return {
            (row.enterprise.id, indicator.code): self.cleaned_data[
                self.name(row.enterprise.id, indicator.code)
            ]
            for row in self.grid.rows
            for indicator in self.grid.indicators
        }

    def cells(self):
        """The bound fields row by row, for the template."""
        return [
            (row, [self[self.name(row.enterprise.id, i.code)] for i in self.grid.indicators])
            for row in self.grid.rows
        ]
