"""Indicator benchmarks, on SQLite and on PostgreSQL.

full recompute of every indicator, roll-up and health-check ratio for 10,000 enterprises × 36
months, from the database and back into it (`guozi compute --all`)
                                   < 60 s, peak memory < 2 GB
the six 一利五率 indicators alone (bench/frameworks/six.yaml) against a hand-written baseline
that reads the fields they need from the same database in one query, computes them with polars
and writes them back in bulk (executemany on SQLite, COPY on PostgreSQL), both timed in-process
                                   ours ≤ 3× the baseline
the portfolio overview page with 10,000 enterprises, production server, DEBUG off
                                   median < 150 ms (1 client), p95 < 500 ms (4 clients),
                                   as the supervisor analyst and as an enterprise reporter
"""

import json
import os
import statistics
import tempfile
from pathlib import Path

from reports import drop, environment
from run import (
    GUOZI,
    Client,
    concurrent_timings,
    peak_rss_mb,
    production_server,
    record,
    run,
    shell,
)

ENTERPRISES = int(os.environ.get("BENCH_INDICATOR_SCALE", "10000"))
MONTHS = 36
SIX = Path(__file__).resolve().parent / "frameworks" / "six.yaml"

FIELDS = (
    "total_profit.current total_liabilities.current total_assets.current net_profit.current "
    "owners_equity.current owners_equity.opening rd_expenditure.current "
    "operating_revenue.current cfo_net.current employees_avg.current wages_payable.current "
    "depreciation_amortisation.current operating_profit.current "
    "government_subsidies.current fair_value_gains.current investment_income.current "
    "taxes_payable.current income_tax_payable.current"
).split()

BASELINE = """
import json, time
import polars as pl
from django.db import connection, transaction
from guozi.reporting.models import Form, Submission
FIELDS = {fields!r}
form = Form.objects.get(code="fast_report")
table = Submission._meta.db_table
start = time.perf_counter()
if connection.vendor == "postgresql":
    picks = ", ".join(f"(cells->>'{{f}}')::bigint" for f in FIELDS)
else:
    picks = ", ".join(f"json_extract(cells, '$.\\"{{f}}\\"')" for f in FIELDS)
with connection.cursor() as cursor:
    cursor.execute(
        f"SELECT id, period, {{picks}} FROM {{table}} WHERE form_id = %s AND state = 'approved'",
        [form.id],
    )
    rows = cursor.fetchall()
names = ["id", "period", *[f.replace(".", "_") for f in FIELDS]]
frame = pl.DataFrame(rows, schema=names, orient="row")
c = {{n: pl.col(n).cast(pl.Float64) / 1_000_000 for n in names[2:]}}
c["employees_avg_current"] = pl.col("employees_avg_current").cast(pl.Float64)
months = pl.col("period").str.slice(5, 2).cast(pl.Float64)
value_added = (c["wages_payable_current"] + c["depreciation_amortisation_current"]
    + c["operating_profit_current"] + c["government_subsidies_current"]
    - c["fair_value_gains_current"] - c["investment_income_current"]
    + c["taxes_payable_current"] - c["income_tax_payable_current"])
def ratio(a, b):
    return pl.when(b != 0).then(a / b)
out = frame.select(
    "id", "period",
    total_profit=c["total_profit_current"],
    debt_ratio=ratio(c["total_liabilities_current"], c["total_assets_current"]),
    roe=ratio(c["net_profit_current"] * 12 / months,
              (c["owners_equity_opening"] + c["owners_equity_current"]) / 2),
    rd_intensity=ratio(c["rd_expenditure_current"], c["operating_revenue_current"]),
    labour_productivity=ratio(value_added * 12 / months, c["employees_avg_current"]),
    operating_cash_ratio=ratio(c["cfo_net_current"], c["operating_revenue_current"]),
)
with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("CREATE TABLE bench_baseline (submission_id bigint, period varchar(8), "
                   "total_profit double precision, debt_ratio double precision, "
                   "roe double precision, rd_intensity double precision, "
                   "labour_productivity double precision, operating_cash_ratio double precision)")
    records = out.rows()
    if connection.vendor == "postgresql":
        with cursor.copy("COPY bench_baseline FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
    else:
        cursor.executemany("INSERT INTO bench_baseline VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                           records)
elapsed = time.perf_counter() - start
with connection.cursor() as cursor:
    cursor.execute("DROP TABLE bench_baseline")
print(json.dumps({{"seconds": elapsed, "rows": len(records)}}))
"""

OURS_SIX = """
import json, time
from guozi.indicators.services import compute
start = time.perf_counter()
runs = compute(framework="yili_wulv_six", forms=["fast_report"])
print(json.dumps({"seconds": time.perf_counter() - start, "rows": sum(r.reports for r in runs)}))
"""


def bench_indicators(database: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="guozi-bench-indicators-")
    env, name = environment(database, data_dir, "2026-08-28")
    try:
        run([GUOZI, "migrate", "-v", "0"], env)
        elapsed, _peak, _out = run(
            [GUOZI, "load_demo", "--scale", str(ENTERPRISES), "--months", str(MONTHS)], env
        )
        record(f"{database}: load_demo --scale {ENTERPRISES} --months {MONTHS}",
               f"{elapsed:.1f} s", "(setup)", True)  # fmt: skip
        elapsed, peak, output = peak_rss_mb([GUOZI, "compute", "--all"], env)
        record(f"{database}: compute --all ({ENTERPRISES} × {MONTHS} months)", f"{elapsed:.1f} s",
               "< 60 s", elapsed < 60)  # fmt: skip
        record(f"{database}: compute --all peak memory", f"{peak:.0f} MB", "< 2048 MB",
               peak < 2048)  # fmt: skip
        run([GUOZI, "load_frameworks", str(SIX)], env)
        baseline = json.loads(shell(BASELINE.format(fields=FIELDS), env).splitlines()[-1])
        ours = json.loads(shell(OURS_SIX, env).splitlines()[-1])
        ratio = ours["seconds"] / baseline["seconds"]
        record(
            f"{database}: six indicators, ours {ours['seconds']:.1f} s vs polars baseline "
            f"{baseline['seconds']:.1f} s",
            f"{ratio:.1f}×",
            "≤ 3×",
            ratio <= 3,
        )
        bench_overview(database, env)
    finally:
        drop(name, env)


OVERVIEW_PAGES = [
    "/indicators/",
    "/indicators/?data_status=submitted",
    "/indicators/?period=2026-06",
    "/indicators/?period=2025-12",
]


def bench_overview(database: str, env: dict) -> None:
    with production_server(env) as base:
        for username in ("analyst", "reporter"):
            client = Client(base)
            client.login(username, f"Demo-2026!{username}")
            for path in OVERVIEW_PAGES:
                status, _ms = client.get(path)  # warm up
                if status != 200:
                    raise SystemExit(f"{path} answered {status} for {username}")
            timings = [client.get(path)[1] for _ in range(8) for path in OVERVIEW_PAGES]
            median = statistics.median(timings)
            record(f"{database}: overview as {username}, 1 client, median", f"{median:.0f} ms",
                   "< 150 ms", median < 150)  # fmt: skip
            clients = [Client(base) for _ in range(4)]
            for other in clients:
                other.login(username, f"Demo-2026!{username}")
            p95 = statistics.quantiles(concurrent_timings(clients, OVERVIEW_PAGES, 6), n=20)[-1]
            record(f"{database}: overview as {username}, 4 clients, p95", f"{p95:.0f} ms",
                   "< 500 ms", p95 < 500)  # fmt: skip


def main(databases=("sqlite", "postgresql")) -> None:
    for database in databases:
        bench_indicators(database)
