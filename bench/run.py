"""Guozi benchmarks (`make bench`): the registry at 100,000 enterprises.

Every figure is measured in this run, on this machine, against the targets of the issue:
  load_demo --scale 100000          < 60 s, peak memory < 1 GB (SQLite)
  100,000-row workbook import        < 20 s, dry run and real
  directory, filtered and searched   median < 100 ms (1 client), p95 < 400 ms (4 clients),
                                     as the supervisor and as an enterprise user, DEBUG off
  subtree of the largest group       < 50 ms as of a date
Set BENCH_SCALE for a smaller run (e.g. BENCH_SCALE=10000 for a quick look), BENCH_ONLY=registry,
BENCH_ONLY=reports, indicators, reform, cockpit or briefs for one part (or several, separated by
commas); the others are described in bench/reports.py, bench/indicators.py, bench/reform.py,
bench/cockpit.py and bench/briefs.py.
"""

import http.cookiejar
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUOZI = str(ROOT / ".venv" / "bin" / "guozi")
SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
RESULTS: list[tuple[str, str, str, str]] = []


def env_for(data_dir: str) -> dict:
    return {
        **os.environ,
        "GUOZI_DATA_DIR": data_dir,
        "GUOZI_TODAY": "2026-08-28",
        "DEBUG": "0",
        "DATABASE_URL": "",
    }


def run(args: list[str], env: dict, check: bool = True) -> tuple[float, int, str]:
    """Wall time, peak RSS in MB of the child, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if check and done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return elapsed, max(peak, before) // 1024, done.stdout + done.stderr


def record(name: str, value: str, target: str, ok: bool) -> None:
    RESULTS.append((name, value, target, "ok" if ok else "MISSED"))
    print(f"  {name}: {value} (target {target})", flush=True)


def peak_rss_mb(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run under /usr/bin/time -v when there, for the peak memory of that one command."""
    if Path("/usr/bin/time").exists():
        elapsed, _, output = run(["/usr/bin/time", "-v", *args], env)
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", output)
        return elapsed, int(match.group(1)) / 1024 if match else float("nan"), output
    elapsed, peak, output = run(args, env)
    return elapsed, float(peak), output


def shell(code: str, env: dict) -> str:
    return run([GUOZI, "shell", "--no-imports", "-c", code], env)[2]


def bench_load(data_dir: str) -> None:
    env = env_for(data_dir)
    run([GUOZI, "migrate", "-v", "0"], env)
    elapsed, peak, _ = peak_rss_mb([GUOZI, "load_demo", "--scale", str(SCALE)], env)
    record(f"load_demo --scale {SCALE}", f"{elapsed:.1f} s", "< 60 s", elapsed < 60)
    record("load_demo peak memory", f"{peak:.0f} MB", "< 1024 MB", peak < 1024)


def bench_import(source_dir: str) -> None:
    """Export the scaled registry, then import it as new enterprises into an empty registry."""
    workbook = Path(source_dir) / "export.xlsx"
    elapsed, _, _ = run([GUOZI, "export_enterprises", str(workbook)], env_for(source_dir))
    record(f"export {SCALE} rows to .xlsx", f"{elapsed:.1f} s", "(no target)", True)
    fresh = Path(source_dir) / "import.xlsx"
    shell(
        "from openpyxl import Workbook; from python_calamine import CalamineWorkbook\n"
        f"rows = CalamineWorkbook.from_path({str(workbook)!r}).get_sheet_by_index(0).to_python()\n"
        "wb = Workbook(write_only=True); ws = wb.create_sheet()\n"
        "head = rows[0]; keep = [i for i, h in enumerate(head) if h != 'id']\n"
        "[ws.append([r[i] for i in keep]) for r in rows]\n"
        f"wb.save({str(fresh)!r})",
        env_for(source_dir),
    )
    target_dir = tempfile.mkdtemp(prefix="guozi-bench-import-")
    env = env_for(target_dir)
    run([GUOZI, "migrate", "-v", "0"], env)
    shell("from guozi.registry.demo import create_supervisors; create_supervisors()", env)
    for label, extra in (("dry run", ["--dry-run"]), ("real", [])):
        elapsed, _, output = run([GUOZI, "import_enterprises", str(fresh), *extra], env)
        record(f"import {SCALE} rows ({label})", f"{elapsed:.1f} s", "< 20 s", elapsed < 20)
    count = shell(
        "from guozi.registry.models import Enterprise; print(Enterprise.objects.count())", env
    )
    record("enterprises after the import", count.strip(), str(SCALE), count.strip() == str(SCALE))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, float]:
        start = time.perf_counter()
        with self.opener.open(self.base + path) as response:
            response.read()
            return response.status, (time.perf_counter() - start) * 1000

    def login(self, username: str, password: str) -> None:
        self.get("/login/")
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            self.base + "/login/", data=data, headers={"Referer": self.base + "/login/"}
        )
        with self.opener.open(request) as response:
            response.read()
        if not any(c.name == "sessionid" for c in self.jar):
            sys.exit(f"could not sign in as {username}")


DIRECTORY_QUERIES = [
    "/registry/",
    "/registry/?q=%E9%92%A2%E9%93%81",  # 钢铁
    "/registry/?q=lngk",
    "/registry/?city=210300",
    "/registry/?section=C&status=active",
    "/registry/?q=%E6%9C%89%E9%99%90&city=210100&page=3",  # 有限
]


def concurrent_timings(clients: list[Client], paths: list[str], rounds: int) -> list[float]:
    """Each client in its own thread requests every path `rounds` times; all timings."""
    timings: list[float] = []
    lock = threading.Lock()

    def work(client: Client) -> None:
        mine = [client.get(path)[1] for _ in range(rounds) for path in paths]
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


@contextmanager
def production_server(env: dict):
    """The production server (`guozi serve`: gunicorn, 4 workers, no job worker or scheduler)
    on a free port, answering its health check, until the block ends; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [GUOZI, "serve", "--port", str(port), "--workers", "4", "--no-worker", "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz").read()
                break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_web(data_dir: str) -> None:
    env = env_for(data_dir)
    with production_server(env) as base:
        for username in ("analyst", "reporter"):
            client = Client(base)
            client.login(username, f"Demo-2026!{username}")
            for path in DIRECTORY_QUERIES:
                client.get(path)  # warm up
            timings = [client.get(path)[1] for _ in range(8) for path in DIRECTORY_QUERIES]
            median = statistics.median(timings)
            record(
                f"directory as {username}, 1 client, median",
                f"{median:.0f} ms",
                "< 100 ms",
                median < 100,
            )
            clients = [Client(base) for _ in range(4)]
            for c in clients:
                c.login(username, f"Demo-2026!{username}")
            concurrent = concurrent_timings(clients, DIRECTORY_QUERIES, rounds=6)
            p95 = statistics.quantiles(concurrent, n=20)[-1]
            record(
                f"directory as {username}, 4 clients, p95", f"{p95:.0f} ms", "< 400 ms", p95 < 400
            )


def bench_subtree(data_dir: str) -> None:
    code = (
        "import json, statistics, time; from datetime import date\n"
        "from django.db.models import Count\n"
        "from guozi.registry import selectors\n"
        "from guozi.registry.models import Enterprise, ManagementLink\n"
        "groups = ManagementLink.objects.filter(parent_supervisor__isnull=False,"
        " valid_to__isnull=True).values_list('child_id', flat=True)\n"
        "day = date(2026, 8, 28)\n"
        "sizes = {g: len(selectors.subtree(g, day)) for g in groups}\n"
        "largest = max(sizes, key=sizes.get)\n"
        "times = []\n"
        "for _ in range(30):\n"
        "    t = time.perf_counter(); rows = selectors.subtree(largest, day)\n"
        "    times.append((time.perf_counter() - t) * 1000)\n"
        "print(json.dumps({'size': len(rows), 'median': statistics.median(times)}))"
    )
    output = shell(code, env_for(data_dir))
    figures = json.loads(output.strip().splitlines()[-1])
    record(
        f"subtree of the largest group ({figures['size']} enterprises), median",
        f"{figures['median']:.1f} ms",
        "< 50 ms",
        figures["median"] < 50,
    )


def main() -> None:
    parts = "registry,reports,indicators,reform,cockpit,briefs"
    only = os.environ.get("BENCH_ONLY", parts).split(",")
    print(f"Guozi benchmarks ({', '.join(only)}), {os.cpu_count()} cores", flush=True)
    if "registry" in only:
        print(f"Registry at scale {SCALE}, SQLite", flush=True)
        data_dir = tempfile.mkdtemp(prefix="guozi-bench-")
        bench_load(data_dir)
        bench_subtree(data_dir)
        bench_web(data_dir)
        bench_import(data_dir)
    if "reports" in only:
        import reports
        import run as shared  # the module `reports` records into, not this __main__

        print(f"Reporting at {reports.ENTERPRISES} enterprises, SQLite and PostgreSQL", flush=True)
        reports.main()
        RESULTS.extend(shared.RESULTS)
        shared.RESULTS.clear()
    if "indicators" in only:
        import indicators
        import run as shared

        print(f"Indicators at {indicators.ENTERPRISES} enterprises, SQLite and PostgreSQL")
        indicators.main()
        RESULTS.extend(shared.RESULTS)
        shared.RESULTS.clear()
    if "reform" in only:
        import reform
        import run as shared

        print(f"Reform programme at {reform.ENTERPRISES} enterprises, SQLite and PostgreSQL")
        reform.main()
        RESULTS.extend(shared.RESULTS)
        shared.RESULTS.clear()
    if "cockpit" in only:
        import cockpit
        import run as shared

        print(f"Cockpit at {cockpit.ENTERPRISES} enterprises, SQLite and PostgreSQL", flush=True)
        cockpit.main()
        RESULTS.extend(shared.RESULTS)
        shared.RESULTS.clear()
    if "briefs" in only:
        import briefs
        import run as shared

        print("Inspection brief on the demo, SQLite", flush=True)
        briefs.main()
        RESULTS.extend(shared.RESULTS)
    width = max(len(name) for name, *_ in RESULTS)
    print(f"\n{'benchmark'.ljust(width)}  {'measured':>10}  {'target':>10}  result")
    for name, value, target, verdict in RESULTS:
        print(f"{name.ljust(width)}  {value:>10}  {target:>10}  {verdict}")
    if any(verdict != "ok" for *_, verdict in RESULTS):
        sys.exit(1)


if __name__ == "__main__":
    main()
