"""`guozi import_reports` and `guozi export_report_template`."""

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from guozi.reporting.models import Submission, ValueVersion
from guozi.reporting.workbooks import META_SHEET

from .test_imports import _fill
from .test_workbooks import data_sheet, filled_template


def test_a_dry_run_checks_and_writes_nothing(cast, fast_report, tmp_path, capsys):
    path = filled_template(tmp_path, fast_report, cast.a)
    call_command("import_reports", str(path), "--dry-run", "--user", "reporter")
    out = capsys.readouterr().out
    assert "6" in out and not Submission.objects.exists()


def test_an_import_writes_drafts(cast, fast_report, tmp_path, capsys):
    path = filled_template(tmp_path, fast_report, cast.a)
    call_command("import_reports", str(path), "--user", "reporter", verbosity=2)
    out = capsys.readouterr().out
    assert Submission.objects.count() == 6
    assert set(ValueVersion.objects.values_list("channel", flat=True)) == {"excel"}
    assert cast.a11.uscc in out and "read" in out  # a line per report, then the timings


def test_any_problem_exits_non_zero_with_every_problem_placed(cast, fast_report, tmp_path, capsys):
    path = filled_template(tmp_path, fast_report, cast.a)
    _fill(path, {4: {"cash.current": "n/a"}}, as_text=True)
    with pytest.raises(CommandError) as caught:
        call_command("import_reports", str(path), "--user", "reporter")
    assert caught.value.returncode == 1
    err = capsys.readouterr().err
    sheet = data_sheet(load_workbook(path)).title
    assert f"error: {path.name}:{sheet}:4:" in err and "n/a" in err
    assert not Submission.objects.exists()


def test_the_valid_reports_only_still_exits_non_zero(cast, fast_report, tmp_path, capsys):
    path = filled_template(tmp_path, fast_report, cast.a)
    _fill(path, {4: {"cash.current": "n/a"}}, as_text=True)
    with pytest.raises(CommandError) as caught:
        call_command("import_reports", str(path), "--user", "reporter", "--valid-only")
    assert caught.value.returncode == 1
    assert Submission.objects.count() == 5


def test_a_bad_file_exits_non_zero(cast, fast_report, tmp_path):
    path = tmp_path / "reports.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_reports", str(path))
    assert caught.value.returncode == 1
    with pytest.raises(CommandError):
        call_command("import_reports", str(tmp_path / "missing.xlsx"))
    with pytest.raises(CommandError):
        call_command("import_reports", str(path), "--user", "nobody")


def test_a_csv_with_the_period_given(cast, fast_report, tmp_path):
    from .conftest import clean_cells
    from .test_imports import machine_csv

    path = machine_csv(
        tmp_path / "push.csv", [(cast.a11.uscc, "", "", clean_cells())], period_column=False
    )
    with pytest.raises(CommandError):
        call_command("import_reports", str(path), "--dry-run")
    call_command("import_reports", str(path), "--period", "2026-07")
    assert Submission.objects.get().period == "2026-07"


def test_export_a_template(cast, fast_report, tmp_path, capsys):
    out = tmp_path / "a1.xlsx"
    call_command(
        "export_report_template",
        "--period",
        "2026-07",
        "--enterprise",
        cast.a1.uscc,
        "--subsidiaries",
        "-o",
        str(out),
    )
    book = load_workbook(out)
    assert META_SHEET in book.sheetnames
    assert [row[0].value for row in data_sheet(book).iter_rows(min_row=2)] == [
        cast.a1.uscc,
        cast.a1.uscc,
        cast.a11.uscc,
    ]
    assert "3" in capsys.readouterr().out


def test_export_for_a_user_covers_what_they_fill_in(cast, fast_report, tmp_path):
    out = tmp_path / "mine.xlsx"
    call_command(
        "export_report_template",
        "--period",
        "2026-07",
        "--user",
        "sub_reporter",
        "--layout",
        "sheets",
        "-o",
        str(out),
    )
    book = load_workbook(out)
    identifiers = [sheet["B2"].value for sheet in book.worksheets if sheet.title != META_SHEET]
    assert identifiers == [cast.a1.uscc, cast.a1.uscc, cast.a11.uscc]


def test_export_refuses_what_the_user_may_not_see(cast, fast_report, tmp_path):
    out = tmp_path / "x.xlsx"
    with pytest.raises(CommandError):
        call_command(
            "export_report_template",
            "--period",
            "2026-07",
            "--enterprise",
            cast.a.uscc,
            "--user",
            "outsider",
            "-o",
            str(out),
        )
    with pytest.raises(CommandError):
        call_command("export_report_template", "--period", "July", "-o", str(out))
    with pytest.raises(CommandError):
        call_command("export_report_template", "--period", "2026-07", "-o", str(tmp_path / "x.csv"))
    assert not out.exists()
