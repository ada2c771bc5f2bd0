"""`guozi serve`: web server, task worker and scheduler together, as child processes."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

STOP_TIMEOUT = 15  # seconds the children get to finish after a signal, before they are killed


@dataclass
class Child:
    name: str
    description: str
    argv: list[str]
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive():
            self.proc.send_signal(signum)

    def kill_group(self) -> None:
        """Kill whatever is left in the child's process group (gunicorn workers, RQ horses)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()


def child_commands(
    *, host: str, port: int, workers: int, worker: bool = True, scheduler: bool = True
) -> list[Child]:
    """What `serve` starts; the task worker follows settings.GUOZI_TASKS."""
    python = sys.executable
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    children = [
        Child(
            "web",
            f"gunicorn, {workers} worker(s), http://{bind}/",
            [
                python,
                "-m",
                "gunicorn",
                "guozi.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--graceful-timeout",
                "10",
                "--no-control-socket",
            ],
        )
    ]
    queues = settings.TASKS["default"].get("QUEUES", ["default"])
    if worker and settings.GUOZI_TASKS == "database":
        children.append(
            Child(
                "worker",
                "db_worker (database task queue)",
                [python, "-m", "guozi", "db_worker", "--queue-name", ",".join(queues)]
                + ["--no-reload"],
            )
        )
    elif worker and settings.GUOZI_TASKS == "redis":
        children.append(
            Child(
                "worker",
                f"rqworker (Redis task queue at {settings.REDIS_URL})",
                [python, "-m", "guozi", "rqworker", *queues]
                + ["--job-class", "django_tasks_rq.Job", "--with-scheduler"],
            )
        )
    if scheduler:
        children.append(
            Child("scheduler", "run_scheduler", [python, "-m", "guozi", "run_scheduler"])
        )
    return children


def _static_fingerprint() -> str:
    """Names, sizes and times of every static source file, and where they are stored."""
    digest = hashlib.sha256(repr(settings.STORAGES["staticfiles"]).encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            entries.append(f"{storage.location}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def collect_static() -> bool:
    """Run collectstatic (compressing for whitenoise) unless nothing changed since the last
    run; compressing every file again takes long. Returns whether it collected."""
    stamp = Path(settings.STATIC_ROOT) / ".guozi-collected"
    fingerprint = _static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True


def _port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError(value)
    return port


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Run Guozi: the web server (gunicorn), the task worker and the scheduler. "
        "Ctrl-C or SIGTERM stops all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=_port, default=8000)
        parser.add_argument(
            "--workers", type=_positive, default=2, help="Web server processes (default 2)."
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not run a task worker.")
        parser.add_argument("--no-scheduler", action="store_true", help="Do not run the scheduler.")

    def handle(self, *args, host, port, workers, no_worker, no_scheduler, verbosity, **options):
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `guozi migrate` first.")
        self.stdout.write(f"Collecting static files into {settings.STATIC_ROOT}")
        if not collect_static():
            self.stdout.write("Static files are up to date.")
        connections.close_all()

        children = child_commands(
            host=host,
            port=port,
            workers=workers,
            worker=not no_worker,
            scheduler=not no_scheduler,
        )
        received: list[int] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, frame: received.append(signum))
        try:
            for child in children:
                # A process group of its own: Ctrl-C reaches only this process, which forwards
                # it once, and leftovers of a child can be cleaned up as a group.
                child.proc = subprocess.Popen(child.argv, process_group=0)
                self.stdout.write(
                    f"started {child.name}: {child.description} (pid {child.proc.pid})"
                )
            url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
            self.stdout.write(self.style.SUCCESS(f"Guozi is serving {url} (Ctrl-C stops)"))
            self.stdout.flush()
            failed = self._supervise(children, received)
        finally:
            for child in children:
                child.signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while any(child.alive() for child in children) and time.monotonic() < deadline:
                time.sleep(0.1)
            for child in children:
                child.kill_group()
        if failed is not None:
            raise CommandError(
                f"{failed.name} exited unexpectedly with code {failed.proc.returncode}; "
                "stopped the others."
            )
        self.stdout.write("Guozi stopped.")

    def _supervise(self, children: list[Child], received: list[int]) -> Child | None:
        """Wait for a signal (forwarded to the children) or a child's death; return the dead."""
        while not received:
            for child in children:
                if not child.alive():
                    self.stderr.write(
                        f"{child.name} exited unexpectedly (code {child.proc.returncode}); "
                        "stopping the others"
                    )
                    return child
            time.sleep(0.2)
        forwarded = 0
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(child.alive() for child in children) and time.monotonic() < deadline:
            for signum in received[forwarded:]:
                for child in children:
                    child.signal(signum)
            forwarded = len(received)
            time.sleep(0.1)
        return None
