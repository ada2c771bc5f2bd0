"""A progress bar for commands: the command-line twin of a job's progress bar."""

import sys
import time
from collections.abc import Callable
from typing import TextIO

from django.core.management.base import OutputWrapper

ProgressCallback = Callable[..., None]  # (done: int, total: int | None = None, message: str = "")


def cli_progress(
    stream: TextIO | OutputWrapper | None = None, *, width: int = 30
) -> ProgressCallback:
    """`progress(done, total=None, message="")`, the same call as a job's `Progress`.

    On a terminal it redraws one line (`[#####-----]  50%  5000/10000  message`) at most ten
    times a second and ends it when done reaches total; elsewhere (a log, a pipe) it prints a
    line at each further 10% and at the end.
    """
    stream = sys.stderr if stream is None else stream
    if isinstance(stream, OutputWrapper):
        wrapper = stream

        def write(text: str) -> None:
            wrapper.write(text, ending="")

    else:
        write = stream.write
    tty = bool(getattr(stream, "isatty", lambda: False)())
    state = {"shown_decile": -1, "last_draw": 0.0, "line": 0, "finished": False}

    def progress(done: int, total: int | None = None, message: str = "") -> None:
        if total is not None:
            state["total"] = total
        total_ = state.get("total") or 0
        finished = bool(total_) and done >= total_
        if state["finished"]:
            if finished:
                return  # the end of this phase is already on screen
            # A new phase (say, writing after validating) starts a new bar.
            state.update(finished=False, shown_decile=-1, line=0)
        percent = min(100, int(100 * done / total_)) if total_ else None
        counts = f"{done}/{total_}" if total_ else f"{done}"
        if tty:
            now = time.monotonic()
            if not finished and now - state["last_draw"] < 0.1:
                return
            state["last_draw"] = now
            if percent is None:
                line = f"{counts}  {message}"
            else:
                filled = width * percent // 100
                bar = "#" * filled + "-" * (width - filled)
                line = f"[{bar}] {percent:3d}%  {counts}  {message}"
            line = line.rstrip()
            padding = " " * max(0, state["line"] - len(line))
            state["line"] = len(line)
            write(f"\r{line}{padding}" + ("\n" if finished else ""))
        else:
            decile = percent // 10 if percent is not None else None
            if decile is None or decile <= state["shown_decile"]:
                return
            state["shown_decile"] = decile
            write(f"{percent:3d}%  {counts}  {message}".rstrip() + "\n")
        state["finished"] = finished
        flush = getattr(stream, "flush", None)
        if flush:
            flush()

    return progress
