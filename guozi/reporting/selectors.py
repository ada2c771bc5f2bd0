"""Scoped reads of reporting: what a user may see, the review queue, completeness and timeliness."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.shortcuts import get_object_or_404

from guozi.lib import clock
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise, Supervisor
from guozi.registry.selectors import get_visible_enterprise, visible_enterprises
from guozi.registry.tree import tree_at

from . import permissions
from .expected import Deadlines, expected_reports
from .frameworks import definition_of, version_in_force
from .models import Form, State, Submission


def visible_submissions(user):
    """Submissions of enterprises the user may read (as of today, or as of their period)."""
    return Submission.objects.filter(enterprise__in=visible_enterprises(user))


def get_visible_submission(user, submission_id: int) -> Submission:
    """The submission if `user` may read its enterprise for its period; else Http404, the same
    answer as for no such id."""
    submission = get_object_or_404(
        Submission.objects.select_related("enterprise", "form", "version"), id=submission_id
    )
    get_visible_enterprise(user, submission.enterprise_id, submission.period_end)
    return submission


def review_queue(user, form: Form | None = None) -> list[Submission]:
    """Submitted reports waiting for this user's decision."""
    waiting = (
        visible_submissions(user)
        .filter(state=State.SUBMITTED)
        .select_related("enterprise", "form")
        .order_by("submitted_at")
    )
    if form:
        waiting = waiting.filter(form=form)
    trees = {}
    queue = []
    for submission in waiting[:500]:
        tree = trees.setdefault(submission.period, tree_at(submission.period_end))
        if permissions.can_review(user, submission, tree):
            queue.append(submission)
    return queue


@dataclass
class Row:
    enterprise: Enterprise
    scope: str
    level: int
    due: date | None
    submission: Submission | None

    @property
    def status(self) -> str:
        """missing, draft, returned, submitted or approved."""
        if self.submission is None:
            return "missing"
        return self.submission.state

    @property
    def received(self) -> bool:
        return self.status in (State.SUBMITTED, State.APPROVED)

    @property
    def received_at(self):
        return self.submission.first_submitted_at if self.submission else None

    @property
    def due_effective(self) -> date | None:
        if self.submission and self.submission.extended_to:
            return self.submission.extended_to
        return self.due

    def late(self, today: date) -> bool:
        """Received after the deadline, or not received and the deadline has passed."""
        due = self.due_effective
        if due is None:
            return False
        if self.received_at is not None:
            return self.received_at.date() > due
        return today > due


@dataclass
class Completeness:
    period: Period
    rows: list[Row]
    today: date
    by: dict[str, dict] = field(default_factory=dict)

    def counts(self, rows: list[Row] | None = None) -> dict[str, int]:
        rows = self.rows if rows is None else rows
        tally = Counter(r.status for r in rows)
        return {
            "expected": len(rows),
            "received": sum(r.received for r in rows),
            "on_time": sum(r.received and not r.late(self.today) for r in rows),
            "late": sum(r.late(self.today) for r in rows),
            "missing": sum(not r.received for r in rows),
            "approved": tally[State.APPROVED],
            "returned": tally[State.RETURNED],
            "draft": tally[State.DRAFT],
        }

    def late_rows(self) -> list[Row]:
        return sorted(
            (r for r in self.rows if r.late(self.today) and not r.received),
            key=lambda r: (r.due_effective or date.max, r.enterprise.name_zh),
        )

    def grouped(self, key) -> list[tuple[str, dict]]:
        groups = defaultdict(list)
        for row in self.rows:
            groups[key(row)].append(row)
        return sorted(
            ((name, self.counts(rows)) for name, rows in groups.items()),
            key=lambda item: (-item[1]["expected"], item[0]),
        )


def completeness(user, form: Form, period: Period) -> Completeness:
    """Expected, received, on time, late, missing, approved, returned — within the user's view."""
    version = version_in_force(form, period)
    definition = definition_of(version)
    tree = tree_at(period.end)
    expected = expected_reports(definition, period, tree)
    visible_ids = set(visible_enterprises(user, period.end).values_list("id", flat=True))
    expected = [e for e in expected if e.enterprise_id in visible_ids]
    enterprises = Enterprise.objects.in_bulk({e.enterprise_id for e in expected})
    submissions = {
        (s.enterprise_id, s.scope): s
        for s in Submission.objects.filter(form=form, period=str(period))
    }
    deadlines = Deadlines(form.id, definition, period)
    rows = [
        Row(
            enterprise=enterprises[e.enterprise_id],
            scope=e.scope,
            level=e.level,
            due=deadlines.due(e.supervisor_id, e.level),
            submission=submissions.get((e.enterprise_id, e.scope)),
        )
        for e in expected
    ]
    result = Completeness(period=period, rows=rows, today=clock.today())
    supervisors = dict(Supervisor.objects.values_list("id", "name_zh"))
    result.by["supervisor"] = result.grouped(
        lambda r: supervisors.get(tree.supervisor(r.enterprise.id), "—")
    )
    groups = {g: enterprises.get(g) for g in tree.supervisor_of_group}
    result.by["group"] = result.grouped(
        lambda r: getattr(groups.get(tree.group_of(r.enterprise.id)), "name", "—")
    )
    result.by["city"] = result.grouped(lambda r: r.enterprise.city_code or "—")
    result.by["industry"] = result.grouped(lambda r: r.enterprise.industry_section or "—")
    return result


def quality_record(enterprise: Enterprise, form: Form, periods: int = 12) -> dict:
    """Per enterprise: on time, passed first time, times returned, waivers, later revisions."""
    recent = list(
        Submission.objects.filter(enterprise=enterprise, form=form)
        .order_by("-period_end")[: periods * 2]
        .prefetch_related("explanations")
    )
    on_time = sum(
        1
        for s in recent
        if s.first_submitted_at
        and s.effective_due
        and s.first_submitted_at.date() <= s.effective_due
    )
    return {
        "reports": len(recent),
        "on_time": on_time,
        "first_time": sum(1 for s in recent if s.state == State.APPROVED and not s.times_returned),
        "returned": sum(s.times_returned for s in recent),
        "waivers": sum(1 for s in recent for e in s.explanations.all() if e.kind == "waiver"),
        "revisions_after_approval": sum(s.revisions_after_approval for s in recent),
    }
