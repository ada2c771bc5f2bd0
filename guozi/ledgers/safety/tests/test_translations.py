"""Every message of the register has its Simplified Chinese, and the grades read as in the
regulation."""

import re
from pathlib import Path

from django.utils import translation

from guozi.ledgers.safety.models import IncidentGrade, IncidentType, ReportKind

PO = Path(__file__).parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_is_translated():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = text.strip().split("\n\n")[1:]
    assert len(entries) > 150
    for entry in entries:
        translations = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        assert translations, entry
        for quoted in translations:
            assert "".join(re.findall(r'"(.*)"', quoted)), entry


def test_grades_types_and_kinds_in_chinese():
    with translation.override("zh-hans"):
        assert [str(grade.label) for grade in IncidentGrade] == ["特别重大", "重大", "较大", "一般"]
        assert str(IncidentType.ROAD_TRAFFIC.label) == "道路运输"
        assert str(IncidentType.HAZARDOUS_CHEMICALS.label) == "危险化学品"
        assert [str(kind.label) for kind in ReportKind] == ["首报", "补报", "逾期更正"]
