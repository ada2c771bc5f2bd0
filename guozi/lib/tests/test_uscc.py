import random
from pathlib import Path

import pytest
from stdnum.cn.uscc import calc_check_digit

from guozi.lib.uscc import (
    ALPHABET,
    check_uscc,
    is_valid_uscc,
    make_uscc,
    org_check_char,
    uscc_check_char,
)

SAMPLES = Path(__file__).parent / "files" / "uscc_valid_samples.txt"


def _samples() -> list[str]:
    return [line.strip() for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line]


def _rules(value: str) -> list[str]:
    return [problem.rule for problem in check_uscc(value).errors]


def _assert_rejected(value: str, rule: str) -> None:
    result = check_uscc(value)
    assert not result.ok
    assert [problem.rule for problem in result.errors] == [rule]
    problem = result.errors[0]
    assert result.code in problem.message_zh
    assert result.code in problem.message_en


def test_published_samples_are_valid() -> None:
    samples = _samples()
    assert len(samples) == 200
    for code in samples:
        result = check_uscc(code)
        assert result.ok, result.errors
        assert result.warnings == ()


def test_check_character_agrees_with_stdnum() -> None:
    rng = random.Random(2015)
    for _ in range(2000):
        first17 = "".join(rng.choice(ALPHABET) for _ in range(17))
        assert uscc_check_char(first17) == calc_check_digit(first17)


def test_org_check_character() -> None:
    assert org_check_char("60003734") == "1"  # 91110000600037341L
    assert org_check_char("D2143569") == "X"


def test_normalises_spaces_hyphens_and_case() -> None:
    result = check_uscc(" 9111 0000-6000 3734 1l ")
    assert result.code == "91110000600037341L"
    assert result.ok


@pytest.mark.parametrize("authority", ["A", "N", "Y"])
def test_letter_authorities_are_valid(authority: str) -> None:
    code = make_uscc(authority, "1", "210100", "MA0QXK3T")
    assert code.startswith(authority + "1210100MA0QXK3T")
    result = check_uscc(code)
    assert result.ok, result.errors
    assert result.warnings == ()


def test_made_codes_pass_the_check() -> None:
    rng = random.Random(1)
    for _ in range(500):
        body = "".join(rng.choice(ALPHABET) for _ in range(8))
        assert is_valid_uscc(make_uscc("9", rng.choice("123"), "211400", body))


def test_make_refuses_bad_parts() -> None:
    with pytest.raises(ValueError):
        make_uscc("9", "5", "210100", "12345678")
    with pytest.raises(ValueError):
        make_uscc("Z", "1", "210100", "12345678")
    with pytest.raises(ValueError):
        make_uscc("9", "1", "999999", "12345678")
    with pytest.raises(ValueError):
        make_uscc("9", "1", "210100", "1234567O")


def test_wrong_check_character() -> None:
    _assert_rejected("91110000600037341Q", "check_char")
    message = check_uscc("91110000600037341Q").errors[0]
    assert "应为 L，实为 Q" in message.message_zh
    assert "should be L, found Q" in message.message_en


def test_wrong_org_code_check_character() -> None:
    first17 = "91110000600037342"  # body check should be 1
    _assert_rejected(first17 + uscc_check_char(first17), "org_code")


def test_bad_character() -> None:
    result = check_uscc("9111000060003734IL")
    assert "charset" in _rules("9111000060003734IL")
    problem = next(problem for problem in result.errors if problem.rule == "charset")
    assert "I" in problem.message_zh and "17" in problem.message_zh
    assert "'I'" in problem.message_en and "position 17" in problem.message_en
    assert result.code in problem.message_zh and result.code in problem.message_en
    assert "O" in check_uscc("91110000O00037341L").errors[0].message_en


def test_bad_character_skips_check_characters() -> None:
    assert _rules("9111000060003734IL") == ["charset"]


def test_wrong_length() -> None:
    _assert_rejected("91110000600037341", "length")
    _assert_rejected("91110000600037341L0", "length")
    assert _rules("") == ["length"]


def test_bad_first_character() -> None:
    code = "B1110000600037341"
    _assert_rejected(code + uscc_check_char(code), "authority")


def test_bad_category_for_market_regulation() -> None:
    code = "95110000600037341"
    _assert_rejected(code + uscc_check_char(code), "category")


def test_never_existing_region() -> None:
    first17 = "91999999MA0QXK3T" + org_check_char("MA0QXK3T")
    _assert_rejected(first17 + uscc_check_char(first17), "region")


def test_reports_all_errors() -> None:
    first16 = "95999999MA0QXK3T"
    wrong17 = "1" if org_check_char("MA0QXK3T") != "1" else "2"
    assert _rules(first16 + wrong17 + "0") == ["category", "region", "org_code", "check_char"]


@pytest.mark.parametrize(("region", "name"), [("110103", "崇文区"), ("212100", "铁岭地区")])
def test_retired_region_is_accepted_with_warning(region: str, name: str) -> None:
    result = check_uscc(make_uscc("9", "1", region, "MA0QXK3T"))
    assert result.ok
    assert [problem.rule for problem in result.warnings] == ["region_retired"]
    assert name in result.warnings[0].message_zh
    assert result.code in result.warnings[0].message_en


def test_national_registration_region() -> None:
    result = check_uscc(make_uscc("1", "2", "100000", "40000001"))
    assert result.ok
    assert result.warnings == ()
