"""The cyclic garbage collector's policy: off while building many long-lived objects.

Loading an estate and registering its resources both allocate objects that nearly all live until
the end (manifests and models; the SDK's futures, tasks and Outputs per resource), so every automatic
collection rescans a growing heap for almost nothing. Reference counting frees all other garbage at
once either way. Measured in benchmarks/ (docs/performance.md): a third of the load time at 6,000
manifests; half of a plan's CPU time at 800 data products, for 5 % more peak memory without it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small, long-lived objects.

    On resuming, what was built is moved to the oldest generation at once (``freeze`` + ``unfreeze``
    splices the lists, no scan): otherwise the first young collection after the pause scans every one
    of those objects, then the middle generation does it again (a tenth of the load time, growing
    faster than the estate). Cyclic garbage among them waits for the next full collection. Skipped
    when something else in the process keeps objects frozen (unfreeze would release them).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def off_for_this_process() -> None:
    """Turn the collector off for the rest of a short-lived program process (the stack program):
    the SDK registers resources after the program's code has returned, so a pause around that code
    would not cover them."""
    gc.disable()
