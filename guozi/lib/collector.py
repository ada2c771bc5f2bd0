"""Python's cyclic garbage collector paused for a piece of work that makes very many small
acyclic objects (a big import, a page over thousands of enterprises): each pass would walk the
whole process for nothing. Reference counting frees everything as usual; the collector runs
again when the work ends, however it ends."""

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """A context manager, and a decorator (`@collector_paused()`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
