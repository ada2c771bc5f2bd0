import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from guozi.lib.uscc import make_uscc
from guozi.registry.exports import COLUMNS
from guozi.registry.management.commands import import_enterprises as import_command
from guozi.registry.models import Enterprise, EquityLink, ManagementLink

HEADER = "uscc,name_zh,parent,ownership_pct,supervisor,region_code\n"


@pytest.fixture(autouse=True)
def english(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


def code(n: int) -> str:
    return make_uscc("9", "1", "210100", f"C{n:07d}")


def csv_file(tmp_path, lines: list[str], name="rows.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_a_summary_and_exits_zero(cast, tmp_path):
    path = csv_file(tmp_path, [f"{code(1)},命令行公司,{cast.a.uscc},60,ln,210100"])
    out, err = run("import_enterprises", str(path), "--valid-from", "2026-09-01")
    assert out.strip() == "Imported: 1 created, 0 updated, 0 unchanged."
    assert err == ""
    made = Enterprise.objects.get(uscc=code(1))
    link = ManagementLink.objects.get(child=made)
    assert (link.parent_id, link.valid_from) == (cast.a.id, date(2026, 9, 1))


def test_a_dry_run_writes_nothing(cast, tmp_path):
    path = csv_file(tmp_path, [f"{code(2)},命令行公司,,100,ln,210100"])
    out, _err = run("import_enterprises", str(path), "--dry-run")
    assert "1 to create" in out and "Nothing was written (dry run)" in out
    assert not Enterprise.objects.filter(uscc=code(2)).exists()


def test_errors_are_listed_and_the_exit_status_is_one(cast, tmp_path):
    path = csv_file(
        tmp_path,
        [f"{code(3)},好公司,,100,ln,210100", "9121XXXX,坏公司,,100,ln,210100", f"{code(4)},,,,ln,"],
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_enterprises", str(path), stdout=out, stderr=err)
    assert raised.value.returncode == 1
    assert str(raised.value) == "2 errors; nothing was written."
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("error: rows.csv::3:uscc: 9121XXXX — USCC 9121XXXX: length")
    assert lines[1].startswith("error: rows.csv::4:name_zh:  — Chinese name is required")
    assert not Enterprise.objects.filter(uscc=code(3)).exists()


def test_warnings_go_to_stderr(cast, tmp_path):
    path = tmp_path / "warn.csv"
    path.write_text(f"uscc,name_zh,supervisor,remark\n{code(5)},甲,ln,x\n", encoding="utf-8")
    out, err = run("import_enterprises", str(path))
    assert "warning: warn.csv::1:remark: remark — Unknown column" in err
    assert "1 created" in out


def test_the_user_option(cast, tmp_path):
    path = csv_file(tmp_path, [f"{code(6)},命令行公司,,100,ln,210100"])
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        run("import_enterprises", str(path), "--user", "nobody")
    with pytest.raises(CommandError) as raised:
        run("import_enterprises", str(path), "--user", "dl_analyst")
    assert raised.value.returncode == 1
    run("import_enterprises", str(path), "--user", "analyst")
    made = Enterprise.objects.get(uscc=code(6))
    from guozi.audit.models import AuditEvent

    assert AuditEvent.objects.get(enterprise_id=made.id).actor == cast.analyst


def test_bad_arguments_are_refused(cast, tmp_path):
    with pytest.raises(CommandError, match="No file"):
        run("import_enterprises", str(tmp_path / "missing.csv"))
    (tmp_path / "list.txt").write_text("x")
    with pytest.raises(CommandError, match=".xlsx and .csv"):
        run("import_enterprises", str(tmp_path / "list.txt"))
    path = csv_file(tmp_path, [])
    with pytest.raises(CommandError, match="--valid-from is a date"):
        run("import_enterprises", str(path), "--valid-from", "1.9.2026")


def test_a_big_file_shows_progress_on_stderr(cast, tmp_path, monkeypatch):
    monkeypatch.setattr(import_command, "PROGRESS_BYTES", 10)
    path = csv_file(tmp_path, [f"{code(10 + n)},公司{n},,100,ln,210100" for n in range(3)])
    out, err = run("import_enterprises", str(path))
    assert "100%" in err and "3/3" in err
    assert "3 created" in out


def test_export_command(cast, tmp_path):
    path = tmp_path / "all.csv"
    out, _err = run("export_enterprises", str(path))
    assert out.strip() == f"Wrote 7 enterprises to {path} (as of 2026-08-28)."
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == COLUMNS and len(rows) == 7
    out, _err = run("export_enterprises", str(tmp_path / "dl.xlsx"), "--supervisor", "dl")
    assert "Wrote 1 enterprises" in out
    # An export imports back unchanged.
    out, _err = run("import_enterprises", str(path), "--dry-run")
    assert "0 to create, 0 to update, 7 unchanged" in out


def test_export_as_of_a_day(cast, tmp_path):
    from guozi.registry import services

    services.enterprise_transfer(
        acting_user=None, enterprise=cast.a2, new_parent=cast.b, on=date(2025, 3, 1)
    )
    path = tmp_path / "old.csv"
    run("export_enterprises", str(path), "--as-of", "2025-01-01")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))}
    assert rows[str(cast.a2.id)]["parent"] == cast.a.uscc
    run("export_enterprises", str(path))
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))}
    assert rows[str(cast.a2.id)]["parent"] == cast.b.uscc


def test_export_refuses_bad_arguments(cast, tmp_path):
    with pytest.raises(CommandError, match=".xlsx or .csv"):
        run("export_enterprises", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="No supervisor"):
        run("export_enterprises", str(tmp_path / "x.csv"), "--supervisor", "sh")
    with pytest.raises(CommandError, match="--as-of is a date"):
        run("export_enterprises", str(tmp_path / "x.csv"), "--as-of", "yesterday")


def test_equity_command(cast, tmp_path):
    path = tmp_path / "equity.csv"
    path.write_text(f"held,holder,pct,valid_from\n{cast.a2.uscc},{cast.b.uscc},20,2020-01-01\n")
    out, _err = run("import_equity_links", str(path), "--dry-run")
    assert "1 to create" in out
    assert not EquityLink.objects.filter(held=cast.a2, holder_enterprise=cast.b).exists()
    out, _err = run("import_equity_links", str(path))
    assert "1 created" in out
    assert EquityLink.objects.filter(held=cast.a2, holder_enterprise=cast.b).exists()
    path.write_text(f"held,holder,pct,valid_from\n{cast.a2.uscc},{cast.d.uscc},20,2020-01-01\n")
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_equity_links", str(path), stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert "error: equity.csv::2:pct: 20 — " in err.getvalue() and "110%" in err.getvalue()
