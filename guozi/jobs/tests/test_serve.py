"""`guozi serve` for real: child processes, the health check, signals, a dying child."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from guozi.jobs.management.commands.serve import child_commands

START_TIMEOUT = 60  # generous: a loaded two-core CI machine starts four Djangos at once


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A migrated embedded database of its own (never the test run's, never DATABASE_URL),
    with the static files collected the way `serve` does it, which takes a while once."""
    path = tmp_path_factory.mktemp("serve")
    subprocess.run(
        [sys.executable, "-m", "guozi", "migrate", "--noinput", "-v", "0"],
        env=serve_env(path),
        check=True,
        timeout=120,
    )
    collect = (
        "import django; django.setup(); "
        "from guozi.jobs.management.commands.serve import collect_static; "
        "assert collect_static()"
    )
    subprocess.run(
        [sys.executable, "-c", collect],
        env=serve_env(path) | {"DJANGO_SETTINGS_MODULE": "guozi.settings"},
        check=True,
        timeout=300,
    )
    return path


def serve_env(data_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return env | {"GUOZI_DATA_DIR": str(data_dir), "GUOZI_TASKS": "database", "DEBUG": "0"}


def start(data_dir: Path, *args: str) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = data_dir / f"serve-{port}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "guozi", "serve", "--port", str(port), "--workers", "1", *args],
        env=serve_env(data_dir) | {"PYTHONUNBUFFERED": "1"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert proc.poll() is None, f"serve exited early:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return proc, port, log
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"/healthz did not answer within {START_TIMEOUT} s:\n{log.read_text()}")
        time.sleep(0.3)


def started_children(log: Path) -> dict[str, int]:
    return {
        name: int(pid)
        for name, pid in re.findall(r"started (\w+): .* \(pid (\d+)\)", log.read_text())
    }


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_gone(pgids, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(group_gone(pgid) for pgid in pgids):
            return True
        time.sleep(0.1)
    return False


def test_serve_runs_web_worker_scheduler_and_stops_on_sigterm(data_dir):
    proc, port, log = start(data_dir)
    children = started_children(log)
    assert set(children) == {"web", "worker", "scheduler"}
    assert f"http://127.0.0.1:{port}/" in log.read_text()
    assert "Static files are up to date." in log.read_text()
    static = urllib.request.Request(
        f"http://127.0.0.1:{port}/static/admin/css/base.css",
        headers={"Accept-Encoding": "gzip"},
    )
    with urllib.request.urlopen(static) as reply:
        assert reply.status == 200
    assert (data_dir / "static" / "admin" / "css" / "base.css.gz").exists()

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, log.read_text()
    assert wait_gone(children.values()), f"children left running:\n{log.read_text()}"
    assert "Guozi stopped." in log.read_text()


def test_serve_stops_everything_when_a_child_dies(data_dir):
    proc, _port, log = start(data_dir, "--no-worker")
    children = started_children(log)
    assert set(children) == {"web", "scheduler"}
    os.kill(children["scheduler"], signal.SIGKILL)
    assert proc.wait(timeout=20) != 0
    assert wait_gone(children.values()), f"children left running:\n{log.read_text()}"
    assert "scheduler exited unexpectedly" in log.read_text()


def test_serve_refuses_an_unmigrated_database(db, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: ["pending"])
    with pytest.raises(CommandError, match="guozi migrate"):
        call_command("serve", "--port", str(free_port()))


def test_worker_follows_the_task_backend(settings):
    settings.GUOZI_TASKS = "redis"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    children = {c.name: c.argv for c in child_commands(host="::1", port=9000, workers=3)}
    assert children["worker"][1:] == [
        "-m",
        "guozi",
        "rqworker",
        "default",
        "--job-class",
        "django_tasks_rq.Job",
        "--with-scheduler",
    ]
    assert children["web"][children["web"].index("--bind") + 1] == "[::1]:9000"
    assert children["web"][children["web"].index("--workers") + 1] == "3"

    settings.GUOZI_TASKS = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    children = {c.name: c.argv for c in child_commands(host="127.0.0.1", port=9000, workers=1)}
    assert "db_worker" in children["worker"] and "guozi.wsgi:application" in children["web"]
    assert children["scheduler"][-1] == "run_scheduler"
    only_web = child_commands(host="127.0.0.1", port=1, workers=1, worker=False, scheduler=False)
    assert [c.name for c in only_web] == ["web"]
