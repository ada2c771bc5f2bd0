import pytest

from guozi.indicators.frameworks import load_built_in as load_indicator_frameworks
from guozi.lib.periods import Period
from guozi.reporting.frameworks import definition_of, load_built_in, version_in_force
from guozi.reporting.models import Form, ReportScope, State, Submission
from guozi.reporting.services import parse_cells
from guozi.reporting.tests.conftest import clean_cells

__all__ = ["clean_cells", "put_report"]


@pytest.fixture
def fast_report(db):
    load_built_in()
    load_indicator_frameworks()
    return Form.objects.get(code="fast_report")


def put_report(
    form: Form,
    enterprise,
    period: str,
    *,
    scope: str = ReportScope.CONSOLIDATED,
    state: str = State.APPROVED,
    scale: float = 1.0,
    **overrides,
) -> Submission:
    """A stored report with the clean cells (scaled, with overrides in 万元; None clears a
    cell), straight into the table: the indicator tests are about figures, not the workflow."""
    at = Period.parse(period)
    definition = definition_of(version_in_force(form, at))
    raw = clean_cells(scale, **{k: v for k, v in overrides.items() if v is not None})
    for cell in [k for k, v in overrides.items() if v is None]:
        raw.pop(cell, None)
    stored, errors = parse_cells(definition, raw)
    assert not errors, errors
    return Submission.objects.create(
        enterprise=enterprise,
        form=form,
        version=version_in_force(form, at),
        period=period,
        period_end=at.end,
        scope=scope,
        state=state,
        cells={cell: value for cell, value in stored.items() if value is not None},
    )
