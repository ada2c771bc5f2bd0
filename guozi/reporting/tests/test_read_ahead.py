"""Validating a range of periods outside a transaction reads each next period's reports on
another connection while checking the one before; the outcome is the same."""

import pytest

from guozi.lib.periods import Period
from guozi.reporting import validation
from guozi.reporting.frameworks import definition_of, load_built_in, version_in_force
from guozi.reporting.models import Form, ReportScope, State, Submission
from guozi.reporting.services import parse_cells

from .conftest import clean_cells


def stored(form, enterprise, period: str, **overrides) -> Submission:
    at = Period.parse(period)
    version = version_in_force(form, at)
    cells, errors = parse_cells(definition_of(version), clean_cells(**overrides))
    assert not errors
    return Submission.objects.create(
        enterprise=enterprise,
        form=form,
        version=version,
        period=period,
        period_end=at.end,
        scope=ReportScope.CONSOLIDATED,
        state=State.APPROVED,
        cells=cells,
    )


@pytest.mark.django_db(transaction=True)
def test_reading_ahead_gives_the_same_outcome(cast, monkeypatch):
    load_built_in()
    form = Form.objects.get(code="fast_report")
    periods = ["2026-04", "2026-05", "2026-06"]
    for period in periods:
        stored(form, cast.d, period)
        stored(form, cast.b, period, **{"total_assets.current": "2100"})  # does not balance
    read_ahead = []
    fetch = validation._fetch_rows

    def spy(sql, params):
        read_ahead.append(params)
        return fetch(sql, params)

    monkeypatch.setattr(validation, "_fetch_rows", spy)
    count = validation.validate_range(form, [Period.parse(p) for p in periods])
    assert count == 6
    assert len(read_ahead) == 2  # the second and third periods, while the one before is checked
    outcome = set(Submission.objects.values_list("enterprise_id", "period", "errors"))
    assert outcome == {(cast.d.id, p, 0) for p in periods} | {(cast.b.id, p, 1) for p in periods}


def test_inside_a_transaction_nothing_is_read_ahead(cast, fast_report, monkeypatch):
    stored(fast_report, cast.d, "2026-05")
    stored(fast_report, cast.d, "2026-06")
    monkeypatch.setattr(validation, "_fetch_rows", lambda *a: pytest.fail("read ahead"))
    assert (
        validation.validate_range(fast_report, [Period.parse("2026-05"), Period.parse("2026-06")])
        == 2
    )


@pytest.mark.django_db(transaction=True)
def test_cells_read_ahead_are_decoded_on_the_reader_the_same_way(cast, monkeypatch):
    load_built_in()
    form = Form.objects.get(code="fast_report")
    stored(form, cast.d, "2026-06")
    stored(form, cast.b, "2026-06", **{"total_assets.current": "2100"})
    period = Period.parse("2026-06")
    definition = definition_of(version_in_force(form, period))
    cells = {"total_assets.current", "total_liabilities.current", "no_such_field.current"}
    decoded_on_reader = []
    decode = validation._fetch_decoded

    def spy(sql, params, wanted):
        decoded_on_reader.append(sorted(cell for _f, cell in wanted))
        return decode(sql, params, wanted)

    monkeypatch.setattr(validation, "_fetch_decoded", spy)
    ahead = validation.Store(form, definition)
    ahead.prefetch(period, cells)
    ahead.ensure({"2026-06": {"total_assets.current"}})
    direct = validation.Store(form, definition)
    direct.ensure({"2026-06": {"total_assets.current"}})

    # Unknown cells are not asked of the reader; a subset of what it decoded is served from it.
    assert decoded_on_reader == [["total_assets.current", "total_liabilities.current"]]
    shown = ["enterprise", "scope", "total_assets.current"]
    ours = ahead.frame(period).sort("enterprise").select(shown)
    assert ours.equals(direct.frame(period).sort("enterprise").select(shown))
    assert "total_liabilities.current" in ahead.frame(period).columns
    assert sorted(ours["total_assets.current"].to_list()) == [2000.0, 2100.0]
