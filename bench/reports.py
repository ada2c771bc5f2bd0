"""Reporting benchmarks, on SQLite and on PostgreSQL.

import of one period's fast reports of 5,000 enterprises (one workbook, one row per enterprise
and scope, all fields and columns) into a database holding their previous 12 periods —
parse, validate (every rule, prior periods included), store:
                                   < 5 s, peak memory < 500 MB, and within 4× of a baseline
                                   that reads the same workbook with calamine and bulk-inserts
                                   the same rows (executemany on SQLite, COPY on PostgreSQL),
                                   both timed in-process; the 5 s is the whole command
validating every rule for 5,000 enterprises × 36 periods
                                   < 15 s
"""

import json
import os
import tempfile
import uuid
from pathlib import Path

from run import GUOZI, peak_rss_mb, record, run, shell

ENTERPRISES = int(os.environ.get("BENCH_REPORT_SCALE", "5000"))
PG_SERVER = "postgres://postgres@127.0.0.1:5432"

WRITE_WORKBOOK = """
import json, time
from openpyxl import Workbook
from guozi.lib.periods import Period
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import Form, Submission
from guozi.reporting.values import input_text
form = Form.objects.get(code="fast_report")
source, target = Period.parse("{source}"), Period.parse("{target}")
definition = definition_of(version_in_force(form, target))
cells = [(f, f"{{f.code}}.{{c}}") for f in definition.fields for c in f.columns]
wb = Workbook(write_only=True)
ws = wb.create_sheet("月度财务快报")
ws.append(["identifier", "scope", *[cell for _f, cell in cells]])
rows = 0
reports = Submission.objects.filter(form=form, period=str(source)).values_list(
    "enterprise__uscc", "enterprise__foreign_country", "enterprise__foreign_reg_no", "scope",
    "cells")
for uscc, country, number, scope, stored in reports.iterator(chunk_size=2000):
    # The next month: flows a month further on, balances as they were; identities still hold.
    grown = {{k: (round(v * 1.08 / 10000) * 10000 if k.split(".")[0] in FLOWS
                  and k.endswith(".current") else v) for k, v in stored.items()}}
    identifier = uscc or f"{{country}}:{{number}}"
    values = [input_text(f, grown.get(cell)) for f, cell in cells]
    ws.append([identifier, scope, *[float(v) if v else None for v in values]])
    rows += 1
wb.save("{path}")
print(json.dumps({{"rows": rows}}))
"""

BASELINE = """
import json, time
from python_calamine import CalamineWorkbook
from django.db import connection, transaction
from guozi.lib import clock
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.reporting.models import Form, Submission, ValueVersion
from guozi.reporting.frameworks import version_in_force
start = time.perf_counter()
grid = CalamineWorkbook.from_path("{path}").get_sheet_by_index(0).to_python()
header, body = grid[0], grid[1:]
ids = {{uscc or f"{{country}}:{{number}}": pk for uscc, country, number, pk in
       Enterprise.objects.values_list("uscc", "foreign_country", "foreign_reg_no", "id")}}
form = Form.objects.get(code="fast_report")
period = Period.parse("{target}")
version = version_in_force(form, period)
now = clock.now()
submissions, histories = [], []
for row in body:
    cells = {{}}
    for name, value in zip(header[2:], row[2:]):
        if value not in ("", None):
            cells[name] = int(round(float(value) * 1_000_000))
    text = json.dumps(cells)
    submissions.append((ids[row[0]], form.id, version.id, str(period), period.end, row[1],
                        "draft", text, 0, 0, now, now, 0, 0, "", ""))
    histories.append(json.dumps({{k: [None, v] for k, v in cells.items()}}))
sub = Submission._meta.db_table
columns = ("enterprise_id, form_id, version_id, period, period_end, scope, state, cells, errors, "
           "warnings, created_at, updated_at, times_returned, revisions_after_approval, "
           "extension_reason, reopen_reason")
try:
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {{sub}} ({{columns}}) FROM STDIN") as copy:
                    for record in submissions:
                        copy.write_row(record)
                cursor.execute(f"SELECT id FROM {{sub}} WHERE period = %s ORDER BY id",
                               [str(period)])
                new_ids = [r[0] for r in cursor.fetchall()]
                with cursor.copy(f"COPY {{ValueVersion._meta.db_table}} (submission_id, at, "
                                 "channel, changes, after_approval) FROM STDIN") as copy:
                    for sid, changes in zip(new_ids, histories):
                        copy.write_row((sid, now, "excel", changes, False))
            else:
                marks = ", ".join(["%s"] * 16)
                cursor.executemany(f"INSERT INTO {{sub}} ({{columns}}) VALUES ({{marks}})",
                                   submissions)
                cursor.execute(f"SELECT id FROM {{sub}} WHERE period = %s ORDER BY id",
                               [str(period)])
                new_ids = [r[0] for r in cursor.fetchall()]
                cursor.executemany(
                    f"INSERT INTO {{ValueVersion._meta.db_table}} (submission_id, at, channel, "
                    "changes, after_approval) VALUES (%s, %s, 'excel', %s, false)",
                    list(zip(new_ids, [now] * len(new_ids), histories)))
        elapsed = time.perf_counter() - start
        raise RuntimeError("roll back")
except RuntimeError:
    pass
print(json.dumps({{"seconds": elapsed, "rows": len(submissions)}}))
"""

OURS = """
import json, time
from pathlib import Path
from django.db import transaction
from guozi.reporting import imports
start = time.perf_counter()
try:
    with transaction.atomic():
        result = imports.import_reports(acting_user=None, path=Path("{path}"), period="{target}",
                                        dry_run=False)
        elapsed = time.perf_counter() - start
        assert result.written, result.problems[:5]
        raise RuntimeError("roll back")
except RuntimeError:
    pass
print(json.dumps({{"seconds": elapsed}}))
"""

FLOWS = (
    "total_operating_revenue operating_revenue main_business_revenue sei_revenue operating_cost "
    "rd_expenditure interest_expense operating_profit total_profit income_tax net_profit "
    "net_profit_parent depreciation_amortisation cfo_net cash_from_sales taxes_paid "
    "taxes_payable income_tax_payable government_subsidies wages_payable"
).split()


def environment(database: str, data_dir: str, today: str) -> tuple[dict, str | None]:
    env = {**os.environ, "GUOZI_DATA_DIR": data_dir, "GUOZI_TODAY": today, "DEBUG": "0",
           "DATABASE_URL": ""}  # fmt: skip
    name = None
    if database == "postgresql":
        name = f"guozi_bench_{uuid.uuid4().hex[:8]}"
        run(["psql", f"{PG_SERVER}/postgres", "-qc", f"CREATE DATABASE {name}"], env)
        env["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    return env, name


def drop(name: str | None, env: dict) -> None:
    if name:
        run(
            ["psql", f"{PG_SERVER}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"],
            env,
            check=False,
        )


def bench_report_import(database: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="guozi-bench-reports-")
    env, name = environment(database, data_dir, "2026-08-28")
    try:
        run([GUOZI, "migrate", "-v", "0"], env)
        elapsed, _peak, _out = run(
            [GUOZI, "load_demo", "--scale", str(ENTERPRISES), "--months", "12"], env
        )
        record(f"{database}: load_demo --scale {ENTERPRISES} --months 12", f"{elapsed:.1f} s",
               "(setup)", True)  # fmt: skip
        workbook = Path(data_dir) / "reports-2026-08.xlsx"
        code = WRITE_WORKBOOK.format(source="2026-07", target="2026-08", path=workbook)
        written = json.loads(shell(code.replace("FLOWS", repr(set(FLOWS))), env).splitlines()[-1])
        later = {**env, "GUOZI_TODAY": "2026-09-15"}
        # Both timed in-process and rolled back, so that each starts from the same database.
        baseline = json.loads(
            shell(BASELINE.format(path=workbook, target="2026-08"), later).splitlines()[-1]
        )
        ours = json.loads(
            shell(OURS.format(path=workbook, target="2026-08"), later).splitlines()[-1]
        )
        elapsed, peak, output = peak_rss_mb(
            [GUOZI, "import_reports", str(workbook), "--period", "2026-08"], later
        )
        rows = written["rows"]
        record(f"{database}: import {rows} reports (one workbook, the command)",
               f"{elapsed:.1f} s", "< 5 s", elapsed < 5)  # fmt: skip
        record(f"{database}: import peak memory", f"{peak:.0f} MB", "< 500 MB", peak < 500)
        ratio = ours["seconds"] / baseline["seconds"]
        record(f"{database}: import in-process {ours['seconds']:.2f} s vs calamine + bulk insert "
               f"{baseline['seconds']:.2f} s", f"{ratio:.1f}×", "≤ 4×", ratio <= 4)  # fmt: skip
    finally:
        drop(name, env)


def bench_validation(database: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="guozi-bench-validate-")
    env, name = environment(database, data_dir, "2026-08-28")
    try:
        run([GUOZI, "migrate", "-v", "0"], env)
        elapsed, _peak, _out = run(
            [GUOZI, "load_demo", "--scale", str(ENTERPRISES), "--months", "36"], env
        )
        record(f"{database}: load_demo --scale {ENTERPRISES} --months 36", f"{elapsed:.1f} s",
               "(setup)", True)  # fmt: skip
        elapsed, _peak, output = run([GUOZI, "validate_reports"], env)
        record(f"{database}: validate {ENTERPRISES} enterprises × 36 periods", f"{elapsed:.1f} s",
               "< 15 s", elapsed < 15)  # fmt: skip
    finally:
        drop(name, env)


def main(databases=("sqlite", "postgresql")) -> None:
    for database in databases:
        bench_report_import(database)
        bench_validation(database)
