"""Inspection-brief benchmark, on SQLite: the demo's four-stop tour (Dalian, Anshan, Panjin,
Shenyang) generated in all formats (HTML, PDF with its CJK font, Word, .xlsx), charts drawn on
the server, as the job a user starts:
                                   < 30 s
The demo is loaded as `make demo` loads it, with BENCH_BRIEF_MONTHS months of fast reports
(default 36, the demo's; the brief's trend chart reads them all).
"""

import json
import os
import tempfile

from run import GUOZI, env_for, record, run

MONTHS = int(os.environ.get("BENCH_BRIEF_MONTHS", "36"))
TARGET_SECONDS = 30

GENERATE = """
import json, time
from guozi.accounts.models import User
from guozi.briefings import demo, services
from guozi.briefings.models import Brief, Tour
from guozi.jobs.models import Job
tour = Tour.objects.get(title=demo.TITLE)
start = time.perf_counter()
job = services.brief_generate(acting_user=User.objects.get(username=demo.ANALYST), brief=tour.brief)
seconds = time.perf_counter() - start
job = Job.objects.get(id=job.id)
brief = Brief.objects.get(id=tour.brief.id)
print("RESULT " + json.dumps({"seconds": seconds, "status": job.status, "message": job.message,
      "stops": tour.stops.count(), "formats": sorted(brief.draft_files)}))
"""


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="guozi-bench-briefs-")
    env = env_for(data_dir)
    run([GUOZI, "migrate", "-v", "0"], env)
    run([GUOZI, "load_demo", "--months", str(MONTHS)], env)
    # The immediate backend runs the job in this process as soon as it is started.
    _elapsed, _peak, output = run(
        [GUOZI, "shell", "-c", GENERATE], env | {"GUOZI_TASKS": "immediate"}
    )
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    if result["status"] != "succeeded" or result["formats"] != ["docx", "html", "pdf", "xlsx"]:
        raise SystemExit(f"the brief was not generated: {result}")
    seconds = result["seconds"]
    record(
        f"SQLite: {result['stops']}-stop brief in HTML, PDF, Word and .xlsx",
        f"{seconds:.1f} s",
        f"< {TARGET_SECONDS} s",
        seconds < TARGET_SECONDS,
    )


if __name__ == "__main__":
    import run as shared

    main()
    for name, value, target, verdict in shared.RESULTS:
        print(f"{name}  {value}  {target}  {verdict}")
