"""Cockpit benchmarks, on SQLite and on PostgreSQL.

the cockpit page and each card's data (/dashboard/cards/<key>/), at BENCH_COCKPIT_SCALE
enterprises (default 10,000) with 36 months of computed indicators and reform tasks, production
server (gunicorn via `guozi serve`), DEBUG off, as the supervisor analyst and as an enterprise
reporter:
                                   median < 150 ms (1 client), p95 < 500 ms (4 clients)

Each run builds its databases (several minutes each). To measure again on databases built the
same way before (`migrate`, `load_demo --scale N --months 36 --tasks 2`, `compute --all`, with
GUOZI_TODAY=2026-08-28), name them: BENCH_COCKPIT_SQLITE_DIR (the GUOZI_DATA_DIR of the SQLite
one) and BENCH_COCKPIT_POSTGRES_URL (the DATABASE_URL of the PostgreSQL one); they are left as
they are. The demo portfolio (`load_demo` as `make demo` runs it) is measured first, unless
BENCH_COCKPIT_SKIP_DEMO is set.
"""

import os
import statistics
import tempfile

from reports import drop, environment
from run import GUOZI, Client, concurrent_timings, production_server, record, run

ENTERPRISES = int(os.environ.get("BENCH_COCKPIT_SCALE", "10000"))
MONTHS = 36
TASKS = 2
CARDS = ("figures trend units cities industries classes ranking alerts health reform "
         "reform_curve reporting safety").split()  # fmt: skip
VIEWS = ["", "city=210300", "industry=C"]  # the whole portfolio, a city, an industry


def signed_in(base: str, username: str) -> Client:
    client = Client(base)
    client.login(username, f"Demo-2026!{username}")
    return client


def measure(database: str, base: str, username: str, what: str, paths: list[str]) -> None:
    client = signed_in(base, username)
    for path in paths:
        status, _ms = client.get(path)  # warm up
        if status != 200:
            raise SystemExit(f"{path} answered {status} for {username}")
    timings = [client.get(path)[1] for _ in range(6) for path in paths]
    median = statistics.median(timings)
    record(f"{database}: cockpit {what} as {username}, 1 client, median", f"{median:.0f} ms",
           "< 150 ms", median < 150)  # fmt: skip
    clients = [signed_in(base, username) for _ in range(4)]
    p95 = statistics.quantiles(concurrent_timings(clients, paths, 3), n=20)[-1]
    record(f"{database}: cockpit {what} as {username}, 4 clients, p95", f"{p95:.0f} ms",
           "< 500 ms", p95 < 500)  # fmt: skip


def prepared(database: str) -> dict | None:
    """The environment of a database built before, if one is named (see above)."""
    sqlite_dir = os.environ.get("BENCH_COCKPIT_SQLITE_DIR")
    postgres_url = os.environ.get("BENCH_COCKPIT_POSTGRES_URL")
    if database == "sqlite" and sqlite_dir:
        env, _name = environment(database, sqlite_dir, "2026-08-28")
        return env
    if database == "postgresql" and postgres_url:
        data_dir = tempfile.mkdtemp(prefix="guozi-bench-cockpit-")
        return {**environment("sqlite", data_dir, "2026-08-28")[0], "DATABASE_URL": postgres_url}
    return None


def measure_all(database: str, env: dict) -> None:
    with production_server(env) as base:
        for username in ("analyst", "reporter"):
            pages = [f"/dashboard/?{view}" for view in VIEWS]
            measure(database, base, username, "page", pages)
            for key in CARDS:
                paths = [f"/dashboard/cards/{key}/?{view}" for view in VIEWS]
                measure(database, base, username, f"card {key}", paths)


def bench_cockpit(database: str) -> None:
    env = prepared(database)
    if env is not None:
        built = env["DATABASE_URL"] or env["GUOZI_DATA_DIR"]
        record(f"{database}: a database built before", built, "(setup)", True)
        measure_all(database, env)
        return
    data_dir = tempfile.mkdtemp(prefix="guozi-bench-cockpit-")
    env, name = environment(database, data_dir, "2026-08-28")
    try:
        run([GUOZI, "migrate", "-v", "0"], env)
        elapsed, _peak, _out = run(
            [GUOZI, "load_demo", "--scale", str(ENTERPRISES), "--months", str(MONTHS),
             "--tasks", str(TASKS)],
            env,
        )  # fmt: skip
        record(f"{database}: load_demo --scale {ENTERPRISES} --months {MONTHS} --tasks {TASKS}",
               f"{elapsed:.1f} s", "(setup)", True)  # fmt: skip
        elapsed, _peak, _out = run([GUOZI, "compute", "--all"], env)
        record(f"{database}: compute --all", f"{elapsed:.1f} s", "(setup)", True)
        measure_all(database, env)
    finally:
        drop(name, env)


def bench_demo(database: str) -> None:
    """The same measures on the demo portfolio as `make demo` loads it (its own figures)."""
    data_dir = tempfile.mkdtemp(prefix="guozi-bench-cockpit-demo-")
    env, name = environment(database, data_dir, "2026-08-28")
    label = f"{database}, demo portfolio"
    try:
        run([GUOZI, "migrate", "-v", "0"], env)
        elapsed, _peak, _out = run([GUOZI, "load_demo"], env)
        record(f"{label}: load_demo", f"{elapsed:.1f} s", "(setup)", True)
        measure_all(label, env)
    finally:
        drop(name, env)


def main(databases=("sqlite", "postgresql")) -> None:
    for database in databases:
        if not os.environ.get("BENCH_COCKPIT_SKIP_DEMO"):
            bench_demo(database)
        bench_cockpit(database)
