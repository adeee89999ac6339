"""The environment unpickled without cyclic garbage collection, then frozen.

Sphinx unpickles ``environment.pickle`` between ``config-inited`` and ``builder-inited``.
At 10,000 pages that creates millions of objects, and CPython's collector, triggered by
allocations, walks all of them again and again: ~2.5 of the 10 s CPU of a no-change rebuild
(measured by running the same build with ``gc.disable()``). Unpickling makes no reference
cycles worth collecting, so collection is paused from ``config-inited`` to
``builder-inited``; then ``gc.freeze()`` moves what exists (the environment, the modules) out
of the collector's sight, so later passes only walk what the build itself allocates, and
the workers of a parallel build, forked later, do not touch (and copy) those pages.

They stay frozen: handing them back at the end (``gc.unfreeze()``) made the collection
Python runs at exit walk them all, ~3 s at 10,000 pages. A process that builds many times
(a test session) keeps the cyclic garbage of its earlier environments; it can call
``gc.unfreeze()`` itself between builds.
"""

from __future__ import annotations

import gc
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

from . import __version__

_PAUSED = "_talkbook_gc_paused"


def pause(app: Sphinx, config: Config) -> None:
    if gc.isenabled():
        gc.disable()
        setattr(app, _PAUSED, True)


def resume(app: Sphinx) -> None:
    if getattr(app, _PAUSED, False):
        setattr(app, _PAUSED, False)
        gc.freeze()
        gc.enable()


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", pause, priority=990)  # the last: the env loads next
    app.connect("builder-inited", resume, priority=0)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
