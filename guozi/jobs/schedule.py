"""Periodic work: what runs when (cron expressions in China time), and who gets to start it.

`guozi run_scheduler` calls `run_due(now)` every half minute. Each entry remembers when it last
ran (`ScheduleRun`); an entry is due when its next cron time after that has come. Missed runs
(the scheduler was down) are made up once, not once per missed time. Two schedulers may run at
once: a conditional UPDATE lets only one of them start the entry.
"""

from dataclasses import dataclass
from datetime import datetime

from croniter import croniter
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guozi.lib.clock import CHINA

from .models import Job, ScheduleRun
from .services import job_start
from .tasks import housekeeping_job


@dataclass(frozen=True)
class Entry:
    name: str
    cron: str  # minute hour day month weekday, China time
    task: object  # a task taking a job id
    description: Promise  # lazily translated; the job's title in both languages

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.cron):
            raise ValueError(f"schedule entry {self.name!r}: invalid cron expression {self.cron!r}")

    def titles(self) -> tuple[str, str]:
        with translation.override("zh-hans"):
            title_zh = str(self.description)
        with translation.override("en"):
            title_en = str(self.description)
        return title_zh, title_en


SCHEDULE: list[Entry] = [
    Entry(
        name="housekeeping",
        cron="0 3 * * *",
        task=housekeeping_job,
        description=_(
            "Housekeeping: delete task results older than 30 days, uploads older than 7 days "
            "and read notifications older than 180 days"
        ),
    ),
]


def next_run(entry: Entry, after: datetime) -> datetime:
    """The first time the entry is due strictly after `after`, in China time."""
    return croniter(entry.cron, after.astimezone(CHINA)).get_next(datetime)


def is_due(entry: Entry, last_run_at: datetime, now: datetime) -> bool:
    return next_run(entry, last_run_at) <= now


def take_turn(name: str, seen_last_run_at: datetime, now: datetime) -> bool:
    """Move the entry's last run from the value this scheduler read to `now`; only one wins."""
    return (
        ScheduleRun.objects.filter(name=name, last_run_at=seen_last_run_at).update(last_run_at=now)
        == 1
    )


def claim(entry: Entry, now: datetime) -> bool:
    """Whether this scheduler should start `entry` now. An entry seen for the first time
    starts counting from now, so a fresh installation does not run everything at once."""
    run, created = ScheduleRun.objects.get_or_create(name=entry.name, defaults={"last_run_at": now})
    if created or not is_due(entry, run.last_run_at, now):
        return False
    return take_turn(entry.name, run.last_run_at, now)


def run_due(now: datetime, entries: list[Entry] | None = None) -> list[tuple[Entry, Job]]:
    """Start a job for every entry that is due and that this scheduler claimed."""
    started = []
    for entry in SCHEDULE if entries is None else entries:
        if not claim(entry, now):
            continue
        title_zh, title_en = entry.titles()
        job = job_start(
            kind=entry.name,
            title_zh=title_zh,
            title_en=title_en,
            acting_user=None,
            params={"scheduled_at": now.isoformat()},
            task=entry.task,
        )
        started.append((entry, job))
    return started
