from datetime import date

from guozi.lib import clock
from guozi.lib.pinyin import search_text


def test_clock_follows_the_setting(settings):
    settings.GUOZI_TODAY = "2026-08-28"
    assert clock.today() == date(2026, 8, 28)
    assert clock.now().date() == date(2026, 8, 28)


def test_clock_without_setting_is_the_real_day_in_china(settings):
    settings.GUOZI_TODAY = ""
    from django.utils import timezone

    assert clock.today() == timezone.now().astimezone(clock.CHINA).date()


def test_search_text_has_names_pinyin_and_initials():
    text = search_text("辽宁港口集团", "辽港", "Liaoning Port")
    assert "辽宁港口集团" in text
    assert "liaoninggangkoujituan" in text
    assert "lngkjt" in text
    assert "lg" in text.split()
    assert "liaoning port" in text
