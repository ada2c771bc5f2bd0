"""Writing many reports at once: the same rules as one at a time, all or nothing."""

import pytest

from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.batch import BatchItem, batch_write
from guozi.reporting.definitions import parse_definition
from guozi.reporting.frameworks import BUILT_IN
from guozi.reporting.models import PeriodLock, RuleResult, State, Submission, ValueVersion

from .conftest import clean_cells

JULY = Period.parse("2026-07")
DEFINITION = parse_definition((BUILT_IN / "fast_report.yaml").read_text("utf-8"))


def stored(**overrides):
    values, errors = services.parse_cells(DEFINITION, clean_cells(**overrides))
    assert not errors
    return values


def test_a_batch_creates_drafts_with_history_and_checks(cast, fast_report):
    items = [
        BatchItem(cast.a11.id, "consolidated", stored()),
        BatchItem(cast.a2.id, "consolidated", stored(**{"total_assets.current": "2030.3"})),
    ]
    result = batch_write(
        acting_user=cast.reporter, form=fast_report, period=JULY, items=items, channel="excel"
    )
    assert (result.created, result.changed, result.unchanged) == (2, 2, 0)
    a2 = Submission.objects.get(enterprise=cast.a2)
    assert a2.state == State.DRAFT and a2.errors == 1
    assert RuleResult.objects.get(submission=a2).rule == "bs_identity"
    assert ValueVersion.objects.get(submission=a2).channel == "excel"
    again = batch_write(
        acting_user=cast.reporter, form=fast_report, period=JULY, items=items, channel="excel"
    )
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    assert ValueVersion.objects.count() == 2


@pytest.mark.parametrize("case", ["outside", "duplicate", "leaf_standalone", "locked", "closed"])
def test_a_batch_with_any_refused_item_writes_nothing(cast, fast_report, case):
    good = BatchItem(cast.a11.id, "consolidated", stored(), "row 2")
    bad = {
        "outside": BatchItem(cast.b1.id, "consolidated", stored(), "row 3"),
        "duplicate": BatchItem(cast.a11.id, "consolidated", stored(), "row 3"),
        "leaf_standalone": BatchItem(cast.a2.id, "standalone", stored(), "row 3"),
        "locked": BatchItem(cast.a2.id, "consolidated", stored(), "row 3"),
        "closed": BatchItem(cast.a2.id, "consolidated", stored(), "row 3"),
    }[case]
    if case == "locked":
        locked = services.submission_open(
            acting_user=None,
            enterprise=cast.a2,
            form=fast_report,
            period=JULY,
            scope="consolidated",
        )
        services.cells_write(acting_user=None, submission=locked, raw=clean_cells(), channel="web")
        services.submit(acting_user=None, submission=locked)
    if case == "closed":
        PeriodLock.objects.create(form=fast_report, period=str(JULY))
    before = Submission.objects.count()
    with pytest.raises(DomainError) as caught:
        batch_write(
            acting_user=cast.reporter,
            form=fast_report,
            period=JULY,
            items=[good, bad],
            channel="csv",
        )
    assert Submission.objects.count() == before
    assert not Submission.objects.filter(enterprise=cast.a11).exists()
    if case != "closed":
        assert any("row 3" in p for p in caught.value.fields["__all__"])
