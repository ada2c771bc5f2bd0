"""Catalogues as data: the built-in files, versions, and every kind of problem, placed."""

from datetime import date

import pytest
from django.core.management import call_command
from django.utils import translation

from guozi.audit.models import AuditEvent
from guozi.ledgers.reform.catalogues import (
    BUILT_IN,
    CatalogueError,
    catalogue_load,
    current_catalogues,
    load_built_in,
    parse_catalogue,
)
from guozi.ledgers.reform.models import Catalogue, CatalogueTask
from guozi.lib.errors import DomainError

THREE_YEAR = (BUILT_IN / "three_year_action.yaml").read_text(encoding="utf-8")

SMALL = """
catalogue: pilot
version: "1"
name_zh: 试点改革
name_en: Pilot reform
starts_on: 2024-01-01
ends_on: 2024-12-31
default_measures:
  - {zh: 制定方案, en: Plan}
areas:
  - {code: governance, name_zh: 治理}
tasks:
  - {code: boards, area: governance, name_zh: 董事会, weight: 3, deadline: 2024-06-30,
     target: {value: 100, unit: "%"}}
milestones:
  - {code: half, name_zh: 过半, date: 2024-06-30, target: 50}
"""


def problems(text: str) -> list[str]:
    with translation.override("en"), pytest.raises(CatalogueError) as caught:
        parse_catalogue(text, "x.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_built_in_catalogues_are_loaded_by_migrate(db):
    found = {c.code: c for c in current_catalogues()}
    three = found["three_year_action"]
    assert [a.name_zh for a in three.areas.all()][:2] == [
        "完善中国特色现代企业制度", "推进国有经济布局优化和结构调整"
    ]  # fmt: skip
    assert three.areas.count() == 8
    per_area = {a.code: a.tasks.count() for a in three.areas.all()}
    assert all(3 <= n <= 5 for n in per_area.values()), per_area
    boards = three.tasks.get(code="boards_established")
    assert (boards.weight, boards.target_value, boards.target_unit) == (5, 100, "%")
    assert boards.deadline == date(2021, 12, 31)
    assert boards.measure_titles("zh-hans")[0] == "梳理应建董事会子企业名单"
    seventy = three.milestones.get(code="seventy_by_2021")
    assert (seventy.due_on, seventy.target, seventy.illustrative) == (date(2021, 12, 31), 70, False)
    deepening = found["deepening_action"]
    assert deepening.illustrative and deepening.starts_on == date(2023, 1, 1)
    assert deepening.areas.count() == 6


def test_every_task_has_measures_either_its_own_or_the_defaults(db):
    assert not CatalogueTask.objects.filter(measures=[]).exists()
    corporatisation = CatalogueTask.objects.get(
        catalogue__code="three_year_action", code="corporatisation"
    )
    assert corporatisation.measure_titles("en")[0] == "Implementation plan drawn up and approved"


def test_loading_the_same_file_again_changes_nothing(db):
    before = Catalogue.objects.count()
    load_built_in()
    assert Catalogue.objects.count() == before


def test_other_content_under_the_same_version_is_refused(db):
    with pytest.raises(DomainError) as refused:
        catalogue_load(text=THREE_YEAR.replace("weight: 5", "weight: 6", 1), source="x.yaml")
    assert refused.value.code == "catalogue_version_exists"


def test_a_new_version_becomes_the_current_one(db):
    text = THREE_YEAR.replace('version: "2020.1"', 'version: "2020.2"')
    new = catalogue_load(text=text, source="three_year_action.yaml")
    assert next(c for c in current_catalogues() if c.code == "three_year_action") == new
    assert AuditEvent.objects.filter(object_type="reform.catalogue", object_id=str(new.id)).exists()


def test_a_small_catalogue_loads_with_defaults(db):
    loaded = catalogue_load(text=SMALL, source="pilot.yaml")
    task = loaded.tasks.get()
    assert (task.code, task.measures, task.area.code) == (
        "boards", [{"zh": "制定方案", "en": "Plan"}], "governance"
    )  # fmt: skip
    assert loaded.milestones.get().target == 50


def test_the_command_loads_a_supervisors_own_catalogue(db, tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text(SMALL, encoding="utf-8")
    call_command("load_reform_catalogue", str(path))
    assert Catalogue.objects.filter(code="pilot").exists()


@pytest.mark.parametrize(
    "change, place",
    [
        (('version: "1"', 'version: "1"\ncolour: red'), ".colour"),
        (("catalogue: pilot", "catalogue: Pilot Reform"), ".catalogue"),
        (("name_zh: 试点改革\n", ""), ".name_zh"),
        (("starts_on: 2024-01-01", "starts_on: 2024-13-01"), ".starts_on"),
        (("ends_on: 2024-12-31", "ends_on: 2023-12-31"), ".ends_on"),
        (("area: governance,", "area: layout,"), ".tasks[boards].area"),
        (("weight: 3", "weight: 0"), ".tasks[boards].weight"),
        (("weight: 3", "weight: heavy"), ".tasks[boards].weight"),
        (("deadline: 2024-06-30,", "deadline: 2023-06-30,"), ".tasks[boards].deadline"),
        (("deadline: 2024-06-30,", "deadline: soon,"), ".tasks[boards].deadline"),
        (('unit: "%"', "unit: parsecs"), ".tasks[boards].target.unit"),
        (("value: 100", "value: lots"), ".tasks[boards].target.value"),
        (("{code: boards,", "{code: boards, owner: A,"), ".tasks[boards].owner"),
        (("target: 50", "target: 150"), ".milestones[half].target"),
        (("date: 2024-06-30, target", "date: 2020-06-30, target"), ".milestones[half].date"),
        (
            (
                "{code: governance, name_zh: 治理}",
                "{code: governance, name_zh: 治理}\n  - {code: governance, name_zh: 二}",
            ),
            ".areas[governance]",
        ),  # noqa: E501
        (("default_measures:\n  - {zh: 制定方案, en: Plan}\n", ""), ".tasks[boards].measures"),
    ],
)
def test_every_problem_is_placed(change, place):
    old, new = change
    assert old in SMALL
    found = problems(SMALL.replace(old, new, 1))
    assert any(problem.startswith(place) for problem in found), found


def test_all_problems_of_a_file_are_reported_at_once():
    text = SMALL.replace("weight: 3", "weight: 0").replace("target: 50", "target: 150")
    found = problems(text.replace("area: governance,", "area: layout,"))
    assert len(found) == 3


@pytest.mark.parametrize(
    "text, message",
    [("catalogue: [unclosed\n", "not valid YAML"), ("- just\n- a list\n", "mapping")],
)
def test_a_file_that_is_not_a_catalogue(text, message):
    found = problems(text)
    assert len(found) == 1 and message in found[0]


def test_a_catalogue_without_areas_or_tasks():
    found = problems(SMALL.split("areas:")[0])
    assert {p.split(":")[0] for p in found} >= {".areas", ".tasks"}
