"""Whether a build changed anything: the files written after the pages can be skipped.

Sphinx ends a build in which no document was read, removed or written with "no targets
are out of date" and never starts writing. The site-wide files talkbook writes at
``build-finished`` (the feed, ``catalog.json``) are drawn from the environment and the
settings alone, so in such a build they would come out as they are: writing them again
only costs time (feedgen alone is ~0.2 s at 1,000 pages) and touches their mtimes.

A changed setting that no page shows still makes Sphinx write every page (its ``html``
config hash), so it starts writing too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from . import __version__

_FLAG = "_talkbook_changed"


def _changed(app: Sphinx, *_args: Any) -> None:
    setattr(app, _FLAG, True)


def unchanged(app: Sphinx, *outputs: Path) -> bool:
    """No document was read, removed or written in this build, and *outputs* exist."""
    return not getattr(app, _FLAG, False) and all(Path(p).is_file() for p in outputs)


def setup(app: Sphinx) -> dict[str, Any]:
    # env-purge-doc: a document read again or removed (in the main process, also with -j)
    app.connect("env-purge-doc", _changed)
    # write-started: Sphinx writes pages (always at least the root document)
    app.connect("write-started", _changed)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
