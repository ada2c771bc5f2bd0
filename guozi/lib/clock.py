"""The one clock: "today" comes from GUOZI_TODAY when set, else the real date in China."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    configured = settings.GUOZI_TODAY
    if configured:
        return date.fromisoformat(configured)
    return timezone.now().astimezone(CHINA).date()


def now() -> datetime:
    """The current instant; on a configured day, that day at the real time of day."""
    real = timezone.now()
    if not settings.GUOZI_TODAY:
        return real
    local_time = real.astimezone(CHINA).timetz()
    return datetime.combine(today(), time(local_time.hour, local_time.minute), tzinfo=CHINA)
