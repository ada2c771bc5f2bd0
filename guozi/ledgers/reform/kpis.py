"""The quantitative reform indicators beside task completion: the latest approved reports of
the reporting form `reform_indicators` (guozi/frameworks/reform_indicators.yaml).

The form is an ordinary report of the reporting engine; this module only reads its approved
values and sums them for a set of enterprises: counts of yes, sums of people and entities,
shares as the ratio of the sums (never a mean of the enterprises' shares), except the non-state
shareholding, which has no common base and is shown as the mean of the reported shares.
"""

from dataclasses import dataclass

from django.db.models import Max, QuerySet

from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.reporting.frameworks import definition_of
from guozi.reporting.models import Form, ReportScope, State, Submission
from guozi.reporting.values import from_stored

FORM_CODE = "reform_indicators"
FLAGS = ("board_established", "external_majority", "front_list")
SUMS = (
    "subsidiaries_due_board",
    "subsidiaries_with_board",
    "managers_total",
    "managers_contract",
    "incentive_people",
    "non_core_exited",
)


@dataclass
class Summary:
    period: str
    reports: int
    yes: dict[str, int]  # flag → enterprises answering yes
    answered: dict[str, int]  # flag → enterprises answering at all
    sums: dict[str, float]
    non_state_mean: float | None

    def share(self, part: str, whole: str) -> float | None:
        base = self.sums.get(whole) or 0
        return 100 * self.sums.get(part, 0) / base if base else None

    @property
    def contract_share(self) -> float | None:
        return self.share("managers_contract", "managers_total")

    @property
    def board_share(self) -> float | None:
        return self.share("subsidiaries_with_board", "subsidiaries_due_board")

    def flag_share(self, code: str) -> float | None:
        answered = self.answered.get(code, 0)
        return 100 * self.yes.get(code, 0) / answered if answered else None


def summarise(period: str, values: list[dict]) -> Summary:
    """Sum the decoded values (field code → value) of several enterprises' reports."""
    yes = {code: 0 for code in FLAGS}
    answered = {code: 0 for code in FLAGS}
    sums = {code: 0.0 for code in SUMS}
    shares = []
    for report in values:
        for code in FLAGS:
            if report.get(code) is not None:
                answered[code] += 1
                yes[code] += int(bool(report[code]))
        for code in SUMS:
            if report.get(code) is not None:
                sums[code] += float(report[code])
        if report.get("non_state_share") is not None:
            shares.append(float(report["non_state_share"]))
    mean = sum(shares) / len(shares) if shares else None
    return Summary(period, len(values), yes, answered, sums, mean)


def latest(enterprises: QuerySet[Enterprise]) -> Summary | None:
    """The latest period with approved reports of the enterprises, summed; None when none."""
    form = Form.objects.filter(code=FORM_CODE).first()
    if form is None:
        return None
    approved = Submission.objects.filter(
        form=form,
        state=State.APPROVED,
        scope=ReportScope.CONSOLIDATED,
        enterprise_id__in=enterprises.values("id"),
    )
    period = approved.aggregate(last=Max("period"))["last"]
    if period is None:
        return None
    rows = list(approved.filter(period=period).select_related("version"))
    decoded = []
    definitions = {}
    for submission in rows:
        if submission.version_id not in definitions:
            definitions[submission.version_id] = definition_of(submission.version)
        fields = definitions[submission.version_id].fields_by_code
        decoded.append(
            {
                code: from_stored(field, submission.cells.get(f"{code}.current"))
                for code, field in fields.items()
            }
        )
    return summarise(period, decoded)


def period_label(period: str, language: str) -> str:
    return Period.parse(period).label(language)
