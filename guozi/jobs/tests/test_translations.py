import re
from pathlib import Path

from django.utils import translation

from guozi.jobs.models import JobStatus

PO = Path(__file__).parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_of_the_jobs_app_is_translated():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = text.strip().split("\n\n")[1:]
    assert len(entries) > 40
    for entry in entries:
        translations = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        assert translations, entry
        for quoted in translations:
            assert "".join(re.findall(r'"(.*)"', quoted)), entry


def test_status_names_in_chinese():
    with translation.override("zh-hans"):
        assert str(JobStatus.SUCCEEDED.label) == "已完成"
        assert str(JobStatus.FAILED.label) == "失败"
