from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.registry.directory import city_name

from .selectors import stop_candidates, tour_supervisors
from .services import MAX_STOPS, StopInput

STOP_ROWS = 6  # rows of the form; a tour of more stops is entered over the API


class TourForm(forms.Form):
    """The tour's facts and its stops: in each row a city, then an enterprise of that city the
    user may put on a tour, and the day of the visit."""

    supervisor = forms.TypedChoiceField(label=gettext_lazy("Supervisor"), coerce=int)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    date_from = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period = forms.ChoiceField(label=gettext_lazy("Figures of the period"))

    def __init__(self, user, periods: list[str], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.supervisors = tour_supervisors(user)
        self.fields["supervisor"].choices = [(s.id, s.name) for s in self.supervisors]
        self.fields["period"].choices = [(p, p) for p in periods]
        candidates = stop_candidates(user, {s.id for s in self.supervisors})
        self.cities = sorted(
            {(code, city_name(code)) for code in candidates.values_list("city_code", flat=True)}
        )
        self.rows = []
        for number in range(1, STOP_ROWS + 1):
            prefix = f"stop-{number}"
            self.fields[f"{prefix}-city"] = forms.ChoiceField(
                required=False, choices=[("", "—"), *self.cities]
            )
            self.fields[f"{prefix}-enterprise"] = forms.TypedChoiceField(
                required=False, coerce=int, empty_value=None, choices=[("", "—")]
            )
            self.fields[f"{prefix}-day"] = forms.DateField(
                required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            city = self.data.get(f"{prefix}-city") if self.is_bound else ""
            if city:
                self.fields[f"{prefix}-enterprise"].choices = [("", "—")] + [
                    (e.id, e.name) for e in candidates.filter(city_code=city)[:500]
                ]
            self.rows.append([self[f"{prefix}-{name}"] for name in ("city", "enterprise", "day")])

    def clean(self):
        data = super().clean()
        stops = []
        for number in range(1, STOP_ROWS + 1):
            enterprise_id = data.get(f"stop-{number}-enterprise")
            day = data.get(f"stop-{number}-day")
            if enterprise_id is None:
                continue
            if not isinstance(day, date):
                self.add_error(None, _("Stop %(n)d: give the day of the visit.") % {"n": number})
                continue
            stops.append((enterprise_id, day))
        data["stop_ids"] = stops
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        supervisor = next(s for s in self.supervisors if s.id == data["supervisor"])
        ids = [enterprise_id for enterprise_id, _day in data["stop_ids"]]
        found = stop_candidates(self.user, {supervisor.id}).in_bulk(ids)
        stops = [
            StopInput(found[enterprise_id], day)
            for enterprise_id, day in data["stop_ids"]
            if enterprise_id in found
        ]
        if len(stops) != len(ids):
            stops = []  # the service names what is wrong: no stop it may take
        return {
            "supervisor": supervisor,
            "title": data["title"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "period": data["period"],
            "stops": stops[:MAX_STOPS],
        }
