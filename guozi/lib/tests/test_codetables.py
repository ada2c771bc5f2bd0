from pathlib import Path

import pytest

from guozi.lib.codetables import (
    industries,
    normalise_industry_code,
    prefecture_of,
    province_of,
    region,
    regions,
)

LIAONING_CITIES = {
    "210100": "沈阳市",
    "210200": "大连市",
    "210300": "鞍山市",
    "210400": "抚顺市",
    "210500": "本溪市",
    "210600": "丹东市",
    "210700": "锦州市",
    "210800": "营口市",
    "210900": "阜新市",
    "211000": "辽阳市",
    "211100": "盘锦市",
    "211200": "铁岭市",
    "211300": "朝阳市",
    "211400": "葫芦岛市",
}


def test_liaoning_and_its_cities() -> None:
    province = region("210000")
    assert province is not None
    assert (province.name_zh, province.level, province.current) == ("辽宁省", "province", True)
    for code, name in LIAONING_CITIES.items():
        city = region(code)
        assert city is not None
        assert (city.name_zh, city.level, city.parent_code, city.current) == (
            name,
            "prefecture",
            "210000",
            True,
        )


def test_hierarchy() -> None:
    assert prefecture_of("210102") == "210100"
    assert prefecture_of("210100") == "210100"
    assert prefecture_of("210000") is None
    assert province_of("210102") == "210000"
    assert province_of("100000") is None
    assert prefecture_of("999999") is None
    district = region("210102")
    assert district is not None and district.parent_code == "210100"


def test_retired_codes_have_history() -> None:
    chongwen = region("110103")
    assert chongwen is not None
    assert (chongwen.name_zh, chongwen.current, chongwen.valid_to_year) == ("崇文区", False, 2010)
    tieling_prefecture = region("212100")
    assert tieling_prefecture is not None
    assert tieling_prefecture.level == "prefecture" and not tieling_prefecture.current


def test_national_pseudo_region() -> None:
    national = region("100000")
    assert national is not None
    assert (national.level, national.name_zh, national.current) == ("national", "国家级", True)


def test_every_2019_code_is_known_with_its_2019_name() -> None:
    data = Path(__file__).parents[2] / "data" / "gb2260_2019-04.tsv"
    rows = [line.split("\t") for line in data.read_text(encoding="utf-8").splitlines()[1:]]
    assert len(rows) == 3219
    for _source, _revision, code, name in rows:
        assert regions()[code].name_zh == name
    assert region("999999") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C31", "C31"),
        ("c31", "C31"),
        ("31", "C31"),
        (" 31 ", "C31"),
        ("3110", "C3110"),
        ("C3110", "C3110"),
        ("C311", "C311"),
        ("c", "C"),
        ("01", "A01"),
        ("0190", "A0190"),
    ],
)
def test_normalise_industry_code(value: str, expected: str) -> None:
    assert normalise_industry_code(value) == expected


@pytest.mark.parametrize("value", ["", "Z", "99", "C99", "A31", "3", "C31X", "3119"])
def test_unknown_industry_code(value: str) -> None:
    assert normalise_industry_code(value) is None


def test_industry_counts() -> None:
    by_level = [len([i for i in industries().values() if i.level == n]) for n in (1, 2, 3)]
    assert by_level == [20, 97, 473]


def test_industry_entries() -> None:
    ferrous = industries()["C3110"]
    assert (ferrous.section, ferrous.division, ferrous.level) == ("C", "C31", 4)
    assert industries()["C"].division is None
    # A group with a single class takes the class's name.
    assert industries()["A019"].name_zh == industries()["A0190"].name_zh == "其他农业"
    # The source lists 3741 as a second row of group 374.
    assert industries()["C374"].name_zh == "航空、航天器及设备制造"
    assert industries()["C3741"].level == 4
