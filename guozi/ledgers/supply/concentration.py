"""How concentrated, and how exposed, the supply of one key input is (pure: no Django).

Each input lists its suppliers with their share of the input's supply in percent. From them:

- **HHI** (Herfindahl-Hirschman index): the sum of the squared shares in percent, from near 0
  (many small suppliers) to 10,000 (one supplier with 100%). It is computed on the shares as
  given: when they do not add up to 100 the result says so (`coverage`), and the index of the
  shares given is a floor of the true one only when the rest is spread thin.
- **Band**, with the thresholds of the U.S. Department of Justice and Federal Trade Commission
  *Horizontal Merger Guidelines* (19 August 2010), §5.3: below 1,500 unconcentrated, between
  1,500 and 2,500 moderately concentrated, above 2,500 highly concentrated. The guidelines put
  1,500 and 2,500 themselves "between", so both edges are moderately concentrated. (The 2023
  Merger Guidelines moved "highly concentrated" to above 1,800; the 2010 bands are kept here
  because supply-risk practice still quotes them, and `Policy` can change them.)
- **Single source**: one supplier only, or one supplier with `single_source_share` percent or
  more of the supply (90% by default: the others are then too small to take over at short
  notice).
- **Import dependence**: the suppliers outside China (country other than CN) provide
  `import_share` percent or more of the supply (50% by default). Hong Kong, Macao and Taiwan
  (HK, MO, TW) are outside the mainland's customs territory and count as imports, as they do in
  China's customs statistics.
- **No domestic alternative**: declared for each input by the enterprise; not computed.

Shares are `Decimal` percentages greater than 0 and at most 100, with two decimals at most.
The shares of one input add up to 100 when they are within `share_tolerance` of it (0.1
points, so that three suppliers of 33.33% each count as complete).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

CHINA = "CN"
UNCONCENTRATED, MODERATE, HIGH = "unconcentrated", "moderate", "high"
COMPLETE, SHORT, OVER = "complete", "short", "over"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Policy:
    unconcentrated_below: Decimal = Decimal(1500)  # an HHI below this is unconcentrated
    highly_above: Decimal = Decimal(2500)  # an HHI above this is highly concentrated
    single_source_share: Decimal = Decimal(90)  # one supplier with this share or more
    import_share: Decimal = Decimal(50)  # this share or more from outside China
    share_tolerance: Decimal = Decimal("0.1")  # shares within this of 100 add up to 100


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Supply:
    """One supplier's part of an input's supply."""

    share: Decimal  # percent of the input's supply
    country: str  # ISO 3166-1 alpha-2; CN for China


@dataclass(frozen=True)
class Assessment:
    suppliers: int
    total_share: Decimal  # the shares given, added up
    coverage: str  # COMPLETE, SHORT (below 100) or OVER (above 100); "" with no suppliers
    hhi: Decimal | None  # None with no suppliers: nothing to measure, not zero
    band: str  # UNCONCENTRATED, MODERATE or HIGH; "" with no suppliers
    largest_share: Decimal
    single_source: bool
    import_share: Decimal  # the shares of suppliers outside China, added up
    import_dependent: bool
    no_domestic_alternative: bool

    @property
    def flags(self) -> tuple[str, ...]:
        """The risk flags raised, in a fixed order."""
        raised = (
            ("single_source", self.single_source),
            ("import_dependent", self.import_dependent),
            ("no_domestic_alternative", self.no_domestic_alternative),
            ("highly_concentrated", self.band == HIGH),
        )
        return tuple(name for name, on in raised if on)


def hhi(shares: Iterable[Decimal]) -> Decimal:
    """The Herfindahl-Hirschman index of shares in percent: the sum of their squares."""
    return sum((Decimal(share) ** 2 for share in shares), Decimal(0))


def band(index: Decimal, policy: Policy = DEFAULT_POLICY) -> str:
    """The concentration band of an HHI; both thresholds belong to the moderate band."""
    if index < policy.unconcentrated_below:
        return UNCONCENTRATED
    if index > policy.highly_above:
        return HIGH
    return MODERATE


def coverage(total: Decimal, policy: Policy = DEFAULT_POLICY) -> str:
    """Whether shares adding up to `total` make the whole supply (within the tolerance)."""
    if abs(total - HUNDRED) <= policy.share_tolerance:
        return COMPLETE
    return SHORT if total < HUNDRED else OVER


def share_total_allowed(total: Decimal, policy: Policy = DEFAULT_POLICY) -> bool:
    """Shares may fall short of 100 (the rest is not known) but never exceed it."""
    return total <= HUNDRED + policy.share_tolerance


def is_domestic(country: str) -> bool:
    return country.strip().upper() == CHINA


def assess(
    supplies: Sequence[Supply], *, no_domestic_alternative: bool, policy: Policy = DEFAULT_POLICY
) -> Assessment:
    """Everything this module computes about one input; see the module's doc."""
    shares = [Decimal(s.share) for s in supplies]
    total = sum(shares, Decimal(0))
    imported = sum((Decimal(s.share) for s in supplies if not is_domestic(s.country)), Decimal(0))
    largest = max(shares, default=Decimal(0))
    index = hhi(shares) if shares else None
    return Assessment(
        suppliers=len(shares),
        total_share=total,
        coverage=coverage(total, policy) if shares else "",
        hhi=index,
        band=band(index, policy) if index is not None else "",
        largest_share=largest,
        single_source=len(shares) == 1 or largest >= policy.single_source_share,
        import_share=imported,
        import_dependent=bool(shares) and imported >= policy.import_share,
        no_domestic_alternative=no_domestic_alternative,
    )
