"""The light reads behind the cockpit's cards give the same numbers as the whole figures:
`unit_values` and `health_ratings` against `unit_figures`, the ranking's top and bottom against
a ranking of every unit, the reform areas against the reform programme's completion."""

import gc
from collections import Counter

import pytest
from django.http import QueryDict

from guozi.dashboard import cards
from guozi.dashboard.state import read_state
from guozi.indicators import presenters
from guozi.indicators.models import ComputeRun, DataStatus, IndicatorResult, UnitKind
from guozi.indicators.selectors import health_ratings, of_runs, unit_figures, unit_values
from guozi.indicators.tests.conftest import fast_report  # noqa: F401 (a fixture)
from guozi.indicators.tests.test_views import JULY, compute_figures
from guozi.ledgers.reform import selectors as reform
from guozi.ledgers.reform.tests.conftest import assign, catalogue, finish
from guozi.registry.models import Enterprise

CODES = ["operating_revenue", "total_profit", "debt_ratio", "worst:hc_roe", "no_such_code"]


@pytest.fixture
def computed(cast, fast_report):  # noqa: F811 (the fixture imported above)
    return compute_figures(cast, fast_report)


def state_of(user, query: str = ""):
    return read_state(user, QueryDict(query))


@pytest.mark.parametrize("data_status", [DataStatus.APPROVED, DataStatus.SUBMITTED])
def test_unit_values_are_the_stored_figures(cast, computed, data_status):
    whole = unit_figures(
        cast.analyst, computed, JULY, unit_kind=UnitKind.ENTERPRISE, data_status=data_status
    )
    light = unit_values(cast.analyst, computed, JULY, CODES, data_status=data_status)
    assert len(whole) >= 7  # both scopes of the parents, one of the leaves
    assert [(f.enterprise_id, f.scope, f.label) for f in light] == [
        (f.enterprise_id, f.scope, f.label) for f in whole
    ]
    for full, part in zip(whole, light, strict=True):
        known = [code for code in CODES if code in full.values]
        assert part.values == {code: full.values[code] for code in known}
        assert part.statuses == {code: full.statuses[code] for code in known}
        assert part.prior == {}
    assert any(f.values["worst:hc_roe"] for f in light)  # A2's negative equity


def test_unit_values_are_scoped_and_narrowed(cast, computed):
    reporter = unit_values(cast.reporter, computed, JULY, ["total_profit"])
    assert {f.enterprise_id for f in reporter} == {cast.a.id, cast.a1.id, cast.a11.id, cast.a2.id}
    outsider = unit_values(cast.reporter, computed, JULY, ["total_profit"],
                           enterprise_ids=[cast.b.id, cast.b1.id])  # fmt: skip
    assert outsider == []
    only = unit_values(cast.analyst, computed, JULY, ["total_profit"],
                       enterprise_ids=[cast.a1.id], scope="consolidated")  # fmt: skip
    assert [(f.enterprise_id, f.scope) for f in only] == [(cast.a1.id, "consolidated")]
    assert unit_values(cast.analyst, computed, "1999-01", ["total_profit"]) == []
    along = unit_values(cast.analyst, computed, JULY, ["total_profit"],
                        enterprise_fields=("city_code", "function_class"))  # fmt: skip
    for figures in along:
        enterprise = Enterprise.objects.get(id=figures.enterprise_id)
        assert figures.extra == {
            "city_code": enterprise.city_code,
            "function_class": enterprise.function_class_id,
        }
    others = unit_values(cast.outsider, computed, JULY, ["total_profit"],
                         data_status=DataStatus.SUBMITTED)  # fmt: skip
    assert {f.enterprise_id for f in others} == {cast.b.id, cast.b1.id}


@pytest.mark.parametrize("data_status", [DataStatus.APPROVED, DataStatus.SUBMITTED])
def test_health_ratings_count_each_units_rating(cast, computed, data_status):
    # A2 with every "worst when" flag raised and one ratio missing: a rating of its own
    for row in IndicatorResult.objects.filter(enterprise=cast.a2):
        codes = row.run.indicators
        row.values = [
            1.0 if code.startswith("worst:") else None if code == "hc_roa" else value
            for code, value in zip(codes, row.values, strict=True)
        ]
        row.save()
    whole = unit_figures(cast.analyst, computed, JULY, unit_kind=UnitKind.ENTERPRISE,
                         data_status=data_status, scope="consolidated")  # fmt: skip
    framework, ratings = health_ratings(
        cast.analyst, computed, JULY, data_status=data_status, scope="consolidated"
    )
    assert framework is whole[0].framework
    assert ratings == Counter(f.rating()[1] for f in whole)
    assert sum(ratings.values()) == len(whole)
    assert len(ratings) >= 2
    reporter = health_ratings(cast.reporter, computed, JULY, data_status=data_status)[1]
    assert sum(reporter.values()) == len(
        unit_figures(
            cast.reporter, computed, JULY, unit_kind=UnitKind.ENTERPRISE, data_status=data_status
        )  # fmt: skip
    )
    assert health_ratings(cast.analyst, computed, "1999-01") == (None, Counter())


def test_results_of_runs_read_through_a_subquery(cast, computed):
    runs = list(ComputeRun.objects.filter(form=computed))
    assert runs
    through = IndicatorResult.objects.filter(run__in=of_runs(runs))
    assert through.count() == IndicatorResult.objects.filter(run__in=runs).count() > 0
    assert not IndicatorResult.objects.filter(run__in=of_runs([])).exists()


@pytest.mark.parametrize("query", ["industry=C", "industry=C&code=operating_revenue", ""])
def test_top_and_bottom_are_the_ends_of_the_whole_ranking(cast, computed, monkeypatch, query):
    monkeypatch.setattr(cards, "TOP", 1)
    state = state_of(cast.analyst, query)
    indicator = cards._indicator(state, state.code) or cards._indicator(state, cards.PROFIT)
    units = cards.member_figures(state) if state.narrowed else cards.member_figures(
        state, cards.next_level(state)
    )  # fmt: skip
    ranked = [r for r in presenters.rank(units, indicator.code) if r.rank is not None]
    expected = ranked if len(ranked) <= 2 else [ranked[0], ranked[-1]]
    found = cards.top_and_bottom(state, indicator.code)
    assert [(r.rank, r.figures.enterprise_id, r.figure) for r in found] == [
        (r.rank, r.figures.enterprise_id, r.figure) for r in expected
    ]
    if state.narrowed:
        assert len(ranked) > 2 and len(found) == 2  # the middle is left out


@pytest.fixture
def reform_tasks(cast, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    codes = [task.code for task in catalogue().tasks.all()[:3]]
    tasks = assign(cast, [cast.a, cast.a1, cast.b], codes)
    assign(cast, [cast.d], codes[:1], by=cast.dl_analyst)
    finish(cast, tasks[0])
    return tasks


@pytest.mark.parametrize("query", ["", "city=210100", "supervisor=dl", "group=A"])
def test_reform_areas_are_the_completion_pages(cast, computed, reform_tasks, query):
    query = query.replace("group=A", f"group={cast.a.id}")
    assert reform.completion(cast.analyst, reform.Filters()).by_area  # there is something
    users = [cast.analyst, cast.reporter] + ([] if "group" in query else [cast.dl_analyst])
    for user in users:
        state = state_of(user, query)
        page = reform.completion(user, cards._reform_filters(state))
        assert cards.reform_areas(state) == {
            (row.extra["programme"], row.extra["area"]): row.tally for row in page.by_area
        }


def test_cards_are_built_without_the_cyclic_collector(cast, computed, login, monkeypatch):
    seen = []
    build = cards.build

    def watched(state, key):
        seen.append(gc.isenabled())
        if key == "alerts":
            raise RuntimeError("broken card")
        return build(state, key)

    monkeypatch.setattr(cards, "build", watched)
    client = login(cast.analyst)
    assert client.get("/dashboard/cards/figures/").status_code == 200
    assert seen == [False] and gc.isenabled()
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        client.get("/dashboard/cards/alerts/")
    assert gc.isenabled()  # on again after a failed request too
