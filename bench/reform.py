"""Reform programme benchmark, on SQLite and on PostgreSQL.

setup: load_demo --scale 10,000 --tasks 20: 200,000 assignments with 1,000,000 updates, their
history and the monthly snapshots since 2020
the completion page (/ledgers/reform/) over a few filter variants (all, a programme, a
programme's area, a city, a group, a later page of enterprises), production server (guozi
serve --workers 4 --no-worker --no-scheduler, DEBUG off), as the supervisor analyst
                                   median < 300 ms (1 client), p95 < 1 s (4 clients)
"""

import os
import statistics
import tempfile

from reports import drop, environment
from run import GUOZI, Client, concurrent_timings, production_server, record, run, shell

ENTERPRISES = int(os.environ.get("BENCH_REFORM_SCALE", "10000"))
TASKS = 20
PAGES = [
    "/ledgers/reform/",
    "/ledgers/reform/?programme=three_year_action",
    "/ledgers/reform/?programme=deepening_action&area=governance",
    "/ledgers/reform/?city=210300",
    "/ledgers/reform/?page=5",
]
LARGEST_GROUP = """
from django.db.models import Count
from guozi.ledgers.reform.models import CurrentTally
row = (CurrentTally.objects.exclude(group_id=None).values("group_id")
       .annotate(n=Count("id")).order_by("-n").first())
print(row["group_id"])
"""


def bench_reform(database: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="guozi-bench-reform-")
    env, name = environment(database, data_dir, "2026-08-28")
    try:
        run([GUOZI, "migrate", "-v", "0"], env)
        elapsed, _peak, _out = run(
            [GUOZI, "load_demo", "--scale", str(ENTERPRISES), "--tasks", str(TASKS)], env
        )
        record(f"{database}: load_demo --scale {ENTERPRISES} --tasks {TASKS}",
               f"{elapsed:.1f} s", "(setup)", True)  # fmt: skip
        group = shell(LARGEST_GROUP, env).strip().splitlines()[-1]
        bench_completion(database, env, [*PAGES, f"/ledgers/reform/?group={group}"])
    finally:
        drop(name, env)


def bench_completion(database: str, env: dict, pages: list[str]) -> None:
    with production_server(env) as base:
        client = Client(base)
        client.login("analyst", "Demo-2026!analyst")
        for path in pages:
            status, _ms = client.get(path)  # warm up
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        timings = [client.get(path)[1] for _ in range(8) for path in pages]
        median = statistics.median(timings)
        record(f"{database}: reform completion as analyst, 1 client, median", f"{median:.0f} ms",
               "< 300 ms", median < 300)  # fmt: skip
        clients = [Client(base) for _ in range(4)]
        for other in clients:
            other.login("analyst", "Demo-2026!analyst")
        p95 = statistics.quantiles(concurrent_timings(clients, pages, 6), n=20)[-1]
        record(f"{database}: reform completion as analyst, 4 clients, p95", f"{p95:.0f} ms",
               "< 1000 ms", p95 < 1000)  # fmt: skip


def main(databases=("sqlite", "postgresql")) -> None:
    for database in databases:
        bench_reform(database)
