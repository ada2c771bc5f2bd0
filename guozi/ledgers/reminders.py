"""Reminders of ledger items, sent by the scheduler every morning (`ledger_reminders`).

For every item the owner is still working on (open or in progress), `rules.reminder_stage`
says which reminder is due today (overdue, inactive, or due soon) and how far it has escalated:
the owner's reporters (and the item's responsible user) first; then the owner's reviewers as
well; then the supervisor's analysts as well. A stage is sent when an item reaches it and again
every week while it lasts. The `Reminder` table, one row per item, kind, level and day, makes
sure nobody hears of the same item at the same stage twice in a day, even when the job runs
twice. Items handed in for verification wait for the supervisor and are not reminded.

The thresholds are `rules.Policy`; a deployment may change them with the setting
GUOZI_LEDGER_REMINDERS, e.g. {"due_soon_days": 5, "inactive_days": 20}.
"""

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy, ngettext_lazy
from django_tasks import task

from guozi.accounts.models import Role
from guozi.jobs.services import job_run
from guozi.lib import clock
from guozi.lib.clock import CHINA
from guozi.registry.tree import TreeSnapshot, tree_at

from .models import WORKING, Reminder, TrackedItem
from .notices import about, reporters_of, reviewers_of, supervisor_staff, tell
from .rules import Policy, Stage, reminder_stage, should_remind

DUE_TODAY = gettext_lazy("Due today: %(title)s (%(owner)s)")
DUE_SOON = ngettext_lazy(
    "Due in %(days)s day: %(title)s (%(owner)s)",
    "Due in %(days)s days: %(title)s (%(owner)s)",
    "days",
)
OVERDUE = ngettext_lazy(
    "Overdue by %(days)s day: %(title)s (%(owner)s)",
    "Overdue by %(days)s days: %(title)s (%(owner)s)",
    "days",
)
INACTIVE = ngettext_lazy(
    "No activity for %(days)s day: %(title)s (%(owner)s)",
    "No activity for %(days)s days: %(title)s (%(owner)s)",
    "days",
)


def policy() -> Policy:
    return Policy(**getattr(settings, "GUOZI_LEDGER_REMINDERS", {}))


def subject_of(stage: Stage):
    if stage.kind == "overdue":
        return OVERDUE
    if stage.kind == "inactive":
        return INACTIVE
    return DUE_TODAY if stage.days == 0 else DUE_SOON


def recipients(item: TrackedItem, level: int, tree: TreeSnapshot) -> list:
    """Level 1: the owner's reporters; 2: and its reviewers; 3: and the supervisor's analysts."""
    users = reporters_of(item, tree)
    if level >= 2:
        users += reviewers_of(item, tree)
    if level >= 3:
        users += supervisor_staff(item, (Role.SUPERVISOR_ANALYST,))
    return users


def send_reminders(today=None, progress=None, rules: Policy | None = None) -> dict:
    """Send today's reminders; returns how many items were reminded, by kind, and messages."""
    today = today or clock.today()
    rules = rules or policy()
    tree = tree_at(today)
    items = list(
        TrackedItem.objects.filter(status__in=WORKING)
        .select_related("owner", "responsible_user")
        .order_by("id")
    )
    last_sent = {
        (row["item_id"], row["kind"], row["level"]): row["last"]
        for row in Reminder.objects.filter(item__status__in=WORKING)
        .values("item_id", "kind", "level")
        .annotate(last=Max("day"))
    }
    reminded: Counter = Counter()
    messages = 0
    for done, item in enumerate(items, start=1):
        stage = reminder_stage(
            due=item.due_date,
            last_activity=item.last_activity_at.astimezone(CHINA).date(),
            today=today,
            policy=rules,
        )
        if stage and should_remind(
            stage, last_sent.get((item.id, stage.kind, stage.level)), today, rules
        ):
            sent = _remind(item, stage, today, tree)
            if sent is not None:
                reminded[stage.kind] += 1
                messages += sent
        if progress and done % 200 == 0:
            progress(done, len(items))
    if progress:
        progress(len(items), len(items))
    return {"items": sum(reminded.values()), "by_kind": dict(reminded), "messages": messages}


@transaction.atomic
def _remind(item: TrackedItem, stage: Stage, today, tree: TreeSnapshot) -> int | None:
    """Record and send one reminder; None when it was already sent today."""
    reminder, created = Reminder.objects.get_or_create(
        item=item, kind=stage.kind, level=stage.level, day=today
    )
    if not created:
        return None
    sent = tell(
        recipients(item, stage.level, tree),
        subject_of(stage),
        {**about(item), "days": stage.days},
        item=item,
    )
    reminder.recipients = sent
    reminder.save(update_fields=["recipients"])
    return sent


@task()
def ledger_reminders_job(job_id: str) -> dict | None:
    return job_run(job_id, lambda job, progress: send_reminders(progress=progress))
