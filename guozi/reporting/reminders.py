"""Deadline reminders, sent by the scheduler every morning.

Reporters of an expected report that has not been submitted hear of it three days before its
deadline, on the deadline, and when it is overdue (the first day, then weekly); once overdue, the
reviewer above hears of it too. Nobody gets the same reminder twice in one day.
"""

from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from guozi.accounts.models import Membership, Notification, Role
from guozi.accounts.services import notify
from guozi.jobs.services import job_run
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period, last_closed
from guozi.registry.models import Enterprise
from guozi.registry.tree import tree_at

from .expected import Deadlines, expected_reports
from .frameworks import definition_of, version_in_force
from .models import Form, State, Submission

NEAR_DAYS = 3


def _kind(due: date | None, today: date) -> str | None:
    if due is None:
        return None
    days = (due - today).days
    if days in (NEAR_DAYS, 0):
        return "near"
    overdue = -days
    if overdue == 1 or (overdue > 1 and overdue % 7 == 1):
        return "overdue"
    return None


def _members(role: str, enterprise_ids: list[int], today: date) -> dict[int, list]:
    found: dict[int, list] = {}
    memberships = Membership.objects.filter(
        role=role, enterprise_id__in=enterprise_ids, valid_from__lte=today
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
    for membership in memberships.select_related("user"):
        found.setdefault(membership.enterprise_id, []).append(membership.user)
    return found


def send_reminders(today: date | None = None, progress=None) -> dict:
    today = today or clock.today()
    sent = 0
    for form in Form.objects.filter(period_type="month"):
        for period in (last_closed(today, "month").previous(), last_closed(today, "month")):
            sent += _remind(form, period, today)
    if progress:
        progress(1, 1)
    return {"sent": sent}


def _remind(form: Form, period: Period, today: date) -> int:
    try:
        version = version_in_force(form, period)
    except DomainError:  # no version in force for that period: nothing is expected
        return 0
    definition = definition_of(version)
    tree = tree_at(period.end)
    deadlines = Deadlines(form.id, definition, period)
    received = {
        (e, s): (state, extended, sid)
        for e, s, state, extended, sid in Submission.objects.filter(
            form=form, period=str(period)
        ).values_list("enterprise_id", "scope", "state", "extended_to", "id")
    }
    due_items = []
    for item in expected_reports(definition, period, tree):
        state, extended, submission_id = received.get(
            (item.enterprise_id, item.scope), (None, None, None)
        )
        if state in (State.SUBMITTED, State.APPROVED):
            continue
        kind = _kind(extended or deadlines.due(item.supervisor_id, item.level), today)
        if kind:
            due_items.append((item, kind, submission_id))
    if not due_items:
        return 0
    chains = {}
    for item, *_rest in due_items:
        chain, current = [item.enterprise_id], item.enterprise_id
        while current in tree.parent:
            current = tree.parent[current]
            chain.append(current)
        chains[item.enterprise_id] = chain
    every = sorted({e for chain in chains.values() for e in chain})
    reporters = _members(Role.ENTERPRISE_REPORTER, every, today)
    reviewers = _members(Role.ENTERPRISE_REVIEWER, every, today)
    names = dict(Enterprise.objects.filter(id__in=chains).values_list("id", "name_zh"))
    # Real time, not the configured day: a reminder is not repeated within one run's day.
    recent = timezone.now() - timedelta(hours=20)
    sent = 0
    for item, kind, submission_id in due_items:
        chain = chains[item.enterprise_id]
        users = {u.id: u for e in chain for u in reporters.get(e, [])}
        if kind == "overdue":
            users.update({u.id: u for e in chain[1:] for u in reviewers.get(e, [])})
        link = (
            reverse("reporting:submission", args=[submission_id])
            if submission_id
            else reverse("reporting:period") + f"?period={period}"
        )
        name = names.get(item.enterprise_id, "")
        if kind == "near":
            zh = f"即将到期：{name} {period.label('zh')} {form.name_zh}"
            en = f"Due soon: {name} {period.label('en')} {form.name_en}"
        else:
            zh = f"已逾期：{name} {period.label('zh')} {form.name_zh}"
            en = f"Overdue: {name} {period.label('en')} {form.name_en}"
        for user in users.values():
            if Notification.objects.filter(
                user=user, subject_zh=zh, created_at__gte=recent
            ).exists():
                continue
            notify(user=user, subject_zh=zh, subject_en=en, link=link)
            sent += 1
    return sent


@task()
def reminders_job(job_id: str) -> dict | None:
    return job_run(job_id, lambda job, progress: send_reminders(progress=progress))
