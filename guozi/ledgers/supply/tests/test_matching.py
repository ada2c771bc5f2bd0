"""Recognising one supplier across enterprises (no database)."""

import pytest

from guozi.ledgers.supply.matching import Mention, group_suppliers, name_key

USCC = "91210300A00000015X"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("鞍山恒达矿业有限公司", "鞍山恒达矿业股份有限公司"),
        ("鞍山恒达矿业（集团）有限公司", "鞍山恒达矿业(集团)有限公司"),
        ("鞍山 恒达 矿业", "鞍山恒达矿业有限责任公司"),
        ("Pilbara Iron Ore Co., Ltd.", "PILBARA IRON ORE"),
        ("Pilbara Iron Ore Pty Ltd", "pilbara iron ore limited"),
        ("Ｈｅｓｓｅｎ　Ｂｅａｒｉｎｇ　ＧｍｂＨ", "Hessen Bearing GmbH"),
    ],
)
def test_names_written_differently_have_one_key(one, other):
    assert name_key(one) == name_key(other)


def test_a_group_and_its_subsidiary_stay_apart():
    assert name_key("鞍山恒达矿业集团有限公司") != name_key("鞍山恒达矿业有限公司")


def test_a_name_of_only_a_legal_form_is_kept_whole():
    assert name_key("有限公司") == "有限公司"
    assert name_key("Co., Ltd.")
    assert name_key("  ") == ""


def mention(owner, input_id, name, uscc="", share=50.0, country="CN"):
    return Mention(owner, input_id, name, uscc, share, country)


def test_suppliers_are_matched_by_uscc_whatever_their_name():
    grouped = group_suppliers(
        [
            mention(1, 10, "恒达矿业", USCC, 60),
            mention(2, 20, "鞍山恒达矿业有限公司", USCC, 40),
        ]
    )
    assert len(grouped) == 1
    assert grouped[0].key == f"uscc:{USCC}"
    assert grouped[0].enterprises == 2
    assert grouped[0].inputs == 2
    assert grouped[0].average_share == 50


def test_a_name_without_uscc_joins_the_uscc_its_name_carries_elsewhere():
    grouped = group_suppliers(
        [
            mention(1, 10, "鞍山恒达矿业有限公司", USCC, 60),
            mention(2, 20, "鞍山恒达矿业股份有限公司", "", 30),
            mention(3, 30, "Pilbara Iron Ore Pty Ltd", "", 70, "AU"),
            mention(4, 40, "PILBARA IRON ORE", "", 50, "AU"),
        ]
    )
    assert {(s.key, s.enterprises) for s in grouped} == {
        (f"uscc:{USCC}", 2),
        ("name:pilbaraironore", 2),
    }


def test_a_name_carrying_two_usccs_matches_neither():
    other = "91210300A00000023Q"
    grouped = group_suppliers(
        [
            mention(1, 10, "恒达矿业", USCC),
            mention(2, 20, "恒达矿业", other),
            mention(3, 30, "恒达矿业", ""),
        ]
    )
    assert sorted(s.key for s in grouped) == ["name:恒达矿业", f"uscc:{USCC}", f"uscc:{other}"]


def test_one_enterprise_with_two_inputs_counts_once_among_enterprises():
    grouped = group_suppliers(
        [
            mention(1, 10, "大连轴承", "", 20),
            mention(1, 11, "大连轴承", "", 40),
            mention(2, 20, "大连轴承", "", 60),
        ]
    )
    assert grouped[0].enterprises == 2
    assert grouped[0].inputs == 3
    assert grouped[0].average_share == pytest.approx(40)


def test_most_depended_on_first_and_the_most_used_name_shown():
    grouped = group_suppliers(
        [
            mention(1, 10, "A供应商", "", 10),
            mention(1, 11, "B供应商有限公司", "", 10),
            mention(2, 20, "B供应商", "", 10),
            mention(3, 30, "B供应商", "", 10),
        ]
    )
    assert [s.name for s in grouped] == ["B供应商", "A供应商"]
    assert grouped[0].countries == ("CN",)
