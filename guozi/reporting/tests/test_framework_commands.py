"""Commands: loading framework files, validating stored reports again."""

import pytest
from django.core.management import CommandError, call_command

from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.frameworks import BUILT_IN
from guozi.reporting.models import FormVersion, ReportScope, RuleResult

from .conftest import clean_cells


def test_load_frameworks_is_idempotent(fast_report, capsys):
    call_command("load_frameworks")
    assert FormVersion.objects.filter(form=fast_report).count() == 1
    assert "fast_report" in capsys.readouterr().out


def test_a_bad_framework_file_fails_the_command(db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (BUILT_IN / "fast_report.yaml").read_text("utf-8").replace("kind: flow", "kind: stream", 1),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as caught:
        call_command("load_frameworks", str(bad))
    assert "bad.yaml" in str(caught.value)


def test_validate_reports_runs_every_rule_again(cast, fast_report, capsys):
    submission = services.submission_open(
        acting_user=None,
        enterprise=cast.a11,
        form=fast_report,
        period=Period.parse("2026-07"),
        scope=ReportScope.CONSOLIDATED,
    )
    services.cells_write(
        acting_user=None,
        submission=submission,
        raw=clean_cells(**{"total_assets.current": "2030.3"}),
        channel="web",
        validate=False,
    )
    assert not RuleResult.objects.exists()
    call_command("validate_reports", "--from", "2026-01")
    assert RuleResult.objects.filter(submission=submission, rule="bs_identity").exists()
    with pytest.raises(CommandError):
        call_command("validate_reports", "--form", "nope")


def test_validating_again_keeps_the_counts_of_failing_reports(cast, fast_report):
    period = Period.parse("2026-07")
    failing = services.submission_open(
        acting_user=None,
        enterprise=cast.a11,
        form=fast_report,
        period=period,
        scope=ReportScope.CONSOLIDATED,
    )
    services.cells_write(
        acting_user=None,
        submission=failing,
        channel="web",
        raw=clean_cells(**{"total_assets.current": "2030.3"}),
    )
    clean = services.submission_open(
        acting_user=None,
        enterprise=cast.a2,
        form=fast_report,
        period=period,
        scope=ReportScope.CONSOLIDATED,
    )
    services.cells_write(acting_user=None, submission=clean, channel="web", raw=clean_cells())
    for _ in range(2):
        call_command("validate_reports", "--from", "2026-07")
        failing.refresh_from_db()
        clean.refresh_from_db()
        assert (failing.errors, clean.errors, clean.warnings) == (1, 0, 0)
        assert failing.validated_at and clean.validated_at
