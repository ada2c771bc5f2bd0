"""The project's own tables on the ledgers' item page (`RegisterSpec.panel`).

The item page includes `rnd/_panel.html` with this context as `panel`; it also has the page's
`allowed` (what the user may do with the item), which decides which forms are shown. The forms
post to this app's views, which check again through the services.
"""

from guozi.ledgers.models import ACTIVE, Status

from .forms import OutcomeForm, YearForm
from .selectors import project_panel


def panel(item) -> tuple[str, dict]:
    data = project_panel(item)
    next_year = data.unplanned_years[0] if data.unplanned_years else ""
    return (
        "rnd/_panel.html",
        {
            "data": data,
            "year_form": YearForm(initial={"year": next_year}, prefix="year"),
            "outcome_form": OutcomeForm(prefix="outcome"),
            "figures_open": item.status in ACTIVE,
            "outcomes_open": item.status != Status.CANCELLED,
        },
    )
