"""Debt-ratio warning and key-supervision lines (资产负债率预警线 / 重点监管线), domain.md §2.

Two methods, chosen per supervisor (`DebtLinePolicy`, the guideline by default):
- the 2018 guideline: the industry's baseline (last year's average debt ratio of the industry,
  entered per industry and year) + 5 points is the warning line, + 10 points the key line;
- SASAC's fixed lines for central enterprises: industrial enterprises (GB/T 4754 sections B–D)
  65% / 70%, non-industrial ones 70% / 75%, research and design (divisions M73 and M74) 60% /
  65% — that last row is cut off in the source and inferred from the 5-point pattern, so it is
  marked unconfirmed.
An enterprise's line follows its own main-business industry, as a group's does; a baseline
entered for the division (C31) wins over one for the section (C).
"""

from dataclasses import dataclass

from .models import DebtLineMethod, DebtLinePolicy, IndustryBaseline

WARNING_MARGIN, KEY_MARGIN = 0.05, 0.10
INDUSTRIAL_SECTIONS = ("B", "C", "D")
RESEARCH_DIVISIONS = ("M73", "M74")
FIXED_LINES = {
    "industrial": (0.65, 0.70),
    "non_industrial": (0.70, 0.75),
    "research": (0.60, 0.65),  # unconfirmed: inferred
}


def fixed_type(industry_code: str) -> str:
    if industry_code[:3] in RESEARCH_DIVISIONS:
        return "research"
    if industry_code[:1] in INDUSTRIAL_SECTIONS:
        return "industrial"
    return "non_industrial"


def guideline_lines(baseline: float) -> tuple[float, float]:
    return baseline + WARNING_MARGIN, baseline + KEY_MARGIN


@dataclass
class DebtLines:
    """Looks lines up for many enterprises, reading policies and baselines once."""

    def __post_init__(self) -> None:
        self.methods = dict(DebtLinePolicy.objects.values_list("supervisor_id", "method"))
        self.baselines = {
            (supervisor, year, industry): baseline
            for supervisor, year, industry, baseline in IndustryBaseline.objects.values_list(
                "supervisor_id", "year", "industry", "baseline"
            )
        }
        self.industries: dict[int, str] | None = None

    def industry(self, enterprise_id: int) -> str:
        if self.industries is None:
            from guozi.registry.models import Enterprise

            self.industries = dict(Enterprise.objects.values_list("id", "industry_code"))
        return self.industries.get(enterprise_id) or ""

    def method(self, supervisor_id: int) -> str:
        return self.methods.get(supervisor_id, DebtLineMethod.GUIDELINE)

    def lines(self, supervisor_id: int, enterprise_id: int, year: int) -> tuple | None:
        """(warning, key) as fractions, or None where no baseline is entered."""
        industry = self.industry(enterprise_id)
        if self.method(supervisor_id) == DebtLineMethod.SASAC_FIXED:
            return FIXED_LINES[fixed_type(industry)]
        for code in (industry[:3], industry[:1]):
            baseline = self.baselines.get((supervisor_id, year, code))
            if code and baseline is not None:
                return guideline_lines(baseline)
        return None
