"""Points to raise at a stop of an inspection tour, each with its evidence.

They come from open alerts (the most severe first), overdue and at-risk reform tasks, open
rectifications past their due date, and weak indicators (behind the annual target, over the
debt-ratio warning line, a health rating of 4 or 5). The functions that word a point are pure
(plain values in, a `Point` out); `points_for` reads the facts, scoped to the user.

The brief keeps the points as editable text, one point a line (`point_lines`): the analyst
rewords, removes or adds points before issuing.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.urls import reverse
from django.utils.translation import gettext as _

# Order of the sources at equal weight: what is already broken before what may break.
RANK = {
    "critical": 0,
    "overdue": 1,
    "warning": 2,
    "rectification": 2,
    "indicator": 3,
    "at_risk": 4,
    "info": 5,
}
MAX_POINTS = 12  # per stop, the most pressing first; a brief stop fits two or three pages


@dataclass(frozen=True)
class Point:
    source: str  # alert, reform_overdue, reform_at_risk, rectification, indicator
    rank: int  # 0 is the most pressing
    subject: str  # the enterprise the point is about
    text: str  # what to raise
    evidence: str  # the figure, the period, the due date
    link: str = ""  # where the evidence is, in the application

    def line(self) -> str:
        """The point as one editable line of text."""
        text = f"{self.subject}：{self.text}（{self.evidence}）"
        return f"{text} {self.link}" if self.link else text


def alert_point(
    *, severity: str, severity_label: str, subject: str, message: str, period: str, link: str
) -> Point:
    return Point(
        source="alert",
        rank=RANK.get(severity, RANK["info"]),
        subject=subject,
        text=_("%(severity)s alert: %(message)s")
        % {"severity": severity_label, "message": message},
        evidence=_("in breach in %(period)s") % {"period": period},
        link=link,
    )


def overdue_point(
    *, register: str, subject: str, title: str, due: date, progress: int, today: date, link: str
) -> Point:
    """A reform task or rectification still worked on after its due date."""
    days = (today - due).days
    if register == "reform_task":
        text = _("Reform task overdue: %(title)s") % {"title": title}
    else:
        text = _("Rectification overdue: %(title)s") % {"title": title}
    return Point(
        source="reform_overdue" if register == "reform_task" else "rectification",
        rank=RANK["overdue"] if register == "reform_task" else RANK["rectification"],
        subject=subject,
        text=text,
        evidence=_("due %(due)s, %(days)d days late, %(progress)d%% done")
        % {"due": due.isoformat(), "days": days, "progress": progress},
        link=link,
    )


def at_risk_point(*, subject: str, title: str, due: date, progress: int, link: str) -> Point:
    return Point(
        source="reform_at_risk",
        rank=RANK["at_risk"],
        subject=subject,
        text=_("Reform task at risk: %(title)s") % {"title": title},
        evidence=_("due %(due)s, %(progress)d%% done")
        % {"due": due.isoformat(), "progress": progress},
        link=link,
    )


def target_point(
    *, subject: str, indicator: str, value: str, target: str, period: str, behind: str, link: str
) -> Point:
    """An indicator behind its annual target (`behind` says by how much, in words)."""
    return Point(
        source="indicator",
        rank=RANK["indicator"],
        subject=subject,
        text=_("%(indicator)s behind the annual target: %(behind)s")
        % {"indicator": indicator, "behind": behind},
        evidence=_("%(value)s against a target of %(target)s, %(period)s")
        % {"value": value, "target": target, "period": period},
        link=link,
    )


def debt_line_point(
    *, subject: str, ratio: float, warning: float, key: float, period: str, link: str
) -> Point:
    over_key = ratio > key
    line = key if over_key else warning
    name = _("the key supervision line") if over_key else _("the warning line")
    return Point(
        source="indicator",
        rank=RANK["critical"] if over_key else RANK["indicator"],
        subject=subject,
        text=_("Debt-to-asset ratio over %(line)s") % {"line": name},
        evidence=_("%(ratio).1f%% against %(limit).1f%%, %(period)s")
        % {"ratio": ratio * 100, "limit": line * 100, "period": period},
        link=link,
    )


def rating_point(*, subject: str, rating: int, score: float, period: str, link: str) -> Point:
    return Point(
        source="indicator",
        rank=RANK["indicator"],
        subject=subject,
        text=_("Weak financial health: rating %(rating)d of 5") % {"rating": rating},
        evidence=_("mean band %(score).2f, %(period)s") % {"score": score, "period": period},
        link=link,
    )


def most_pressing(points: list[Point], limit: int = MAX_POINTS) -> list[Point]:
    """The points in order of urgency (stable within a rank), at most `limit`."""
    return sorted(points, key=lambda point: point.rank)[:limit]


def point_lines(points: list[Point]) -> str:
    return "\n".join(point.line() for point in points)


def split_lines(text: str) -> list[str]:
    """The points of an edited text: its non-empty lines, without list marks."""
    found = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("•-*·").strip()
        if line:
            found.append(line)
    return found


# -- reading the facts -------------------------------------------------------------------------


def points_for(user, enterprise, period: str, *, today: date) -> list[Point]:
    """The points to raise about an enterprise and the enterprises it manages, as `user` sees
    them, with the figures of `period`."""
    from guozi.registry.selectors import subtree

    ids = [enterprise_id for enterprise_id, _depth in subtree(enterprise.id, today)] or [
        enterprise.id
    ]
    points = _alert_points(user, ids)
    points += _item_points(user, ids, today)
    points += _indicator_points(user, enterprise, period)
    return most_pressing(points)


def _subject(enterprise) -> str:
    return enterprise.short_name or enterprise.name_zh


def _alert_points(user, ids: list[int]) -> list[Point]:
    from guozi.indicators.alert_selectors import alert_message, visible_alerts
    from guozi.indicators.models import AlertStatus, Severity

    alerts = (
        visible_alerts(user)
        .filter(enterprise_id__in=ids, status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
        .select_related("enterprise")
        .order_by("-raised_at", "id")[: MAX_POINTS * 4]
    )
    return [
        alert_point(
            severity=alert.severity,
            severity_label=str(Severity(alert.severity).label),
            subject=_subject(alert.enterprise),
            message=alert_message(alert),
            period=alert.last_period,
            link=reverse("alerts:alert", args=[alert.id]),
        )
        for alert in alerts
    ]


def _item_points(user, ids: list[int], today: date) -> list[Point]:
    from guozi.ledgers.models import WORKING, Register
    from guozi.ledgers.reform.completion import AT_RISK_DAYS, at_risk
    from guozi.ledgers.selectors import visible_items

    items = (
        visible_items(user)
        .filter(owner_id__in=ids, status__in=WORKING)
        .filter(register__in=[Register.REFORM_TASK, Register.RECTIFICATION])
        .filter(due_date__lte=today + timedelta(days=AT_RISK_DAYS))
        .select_related("owner")
        .order_by("due_date", "id")
    )
    points = []
    for item in items:
        link = reverse("ledgers:item", args=[item.id])
        facts = {"subject": _subject(item.owner), "title": item.title, "due": item.due_date}
        if item.due_date < today:
            points.append(
                overdue_point(
                    register=item.register, progress=item.progress, today=today, link=link, **facts
                )
            )
        elif item.register == Register.REFORM_TASK and at_risk(
            progress=item.progress, assigned_on=item.opened_on, due_on=item.due_date, today=today
        ):
            points.append(at_risk_point(progress=item.progress, link=link, **facts))
    return points


def _indicator_points(user, enterprise, period: str) -> list[Point]:
    from guozi.indicators import alert_selectors
    from guozi.indicators.lines import DebtLines
    from guozi.indicators.models import UnitKind
    from guozi.indicators.presenters import language, number_text, value_kind
    from guozi.indicators.selectors import unit_figures
    from guozi.lib.periods import Period
    from guozi.reporting.models import ReportScope

    found = unit_figures(
        user,
        alert_selectors.fast_report(),
        period,
        unit_kind=UnitKind.ENTERPRISE,
        enterprise_ids=[enterprise.id],
        scope=ReportScope.CONSOLIDATED,
    )
    if not found:
        return []
    figures = found[0]
    parsed = Period.parse(period)
    year = parsed.year
    subject = _subject(enterprise)
    link = reverse("indicators:enterprise", args=[enterprise.id]) + f"?period={period}"
    points = []
    _set, indicators = alert_selectors.target_indicators(year)
    targets = alert_selectors.target_values(enterprise.supervisor, year)
    elapsed = parsed.index / parsed.per_year
    for indicator in indicators:
        if indicator.code not in figures.values:
            continue
        target = targets.get((enterprise.id, indicator.code))
        progress = alert_selectors.progress(
            indicator, figures.values.get(indicator.code), target, elapsed
        )
        if progress.on_track is not False:
            continue
        kind = value_kind(indicator)
        if progress.completion is not None:
            behind = _("%(done).0f%% of the target done with %(elapsed).0f%% of the year gone") % {
                "done": progress.completion * 100,
                "elapsed": elapsed * 100,
            }
        else:
            behind = number_text(progress.gap, "pp" if kind == "percent" else "delta")
        points.append(
            target_point(
                subject=subject,
                indicator=indicator.name(language()),
                value=number_text(progress.value, kind),
                target=number_text(progress.target, kind),
                period=period,
                behind=behind,
                link=link,
            )
        )
    lines = DebtLines().lines(enterprise.supervisor_id, enterprise.id, year)
    ratio = figures.values.get("debt_ratio")
    if lines is not None and ratio is not None and ratio > lines[0]:
        points.append(
            debt_line_point(
                subject=subject,
                ratio=ratio,
                warning=lines[0],
                key=lines[1],
                period=period,
                link=link,
            )  # fmt: skip
        )
    score, rating = figures.rating()
    if rating is not None and rating >= 4:
        points.append(
            rating_point(subject=subject, rating=rating, score=score, period=period, link=link)
        )
    return points
