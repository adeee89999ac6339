#!/usr/bin/env python3
"""``jupyter-book build`` on several cores: Sphinx's parallel reading and writing (``-j``).

Jupyter Book 1.x's ``build`` command runs ``jupyter_book.sphinx.build_sphinx``, whose
``jobs`` argument is Sphinx's ``-j`` (``Sphinx(parallel=jobs)``), but the command has no
option for it and always passes 1. This script makes the same call the command makes for a
book folder (``_config.yml`` turned into Sphinx settings by Jupyter Book, ``_toc.yml`` as the
external toc, output in ``<path-output>/_build/html``) with ``jobs`` set::

    python scripts/build_parallel.py . -j 2 -W -n --keep-going --path-output _build/..

``-j auto`` uses every core. With one job it is the same build as ``jupyter-book build``.
Every extension the book loads declares itself parallel-safe (Sphinx falls back to serial
reading or writing, with a warning, for one that does not).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("book", type=Path, help="book folder (with _config.yml and _toc.yml)")
    ap.add_argument("-j", "--jobs", default="auto", help="processes (a number or auto)")
    ap.add_argument("--path-output", type=Path, help="output folder (default: the book)")
    ap.add_argument("-W", dest="warningiserror", action="store_true", help="warnings fail")
    ap.add_argument("-n", dest="nitpick", action="store_true", help="nitpicky mode")
    ap.add_argument("--keep-going", action="store_true", help="with -W, report all warnings")
    ap.add_argument("--all", dest="fresh", action="store_true", help="fresh environment")
    args = ap.parse_args(argv)

    from jupyter_book.sphinx import build_sphinx

    src = args.book.absolute()
    toc = src / "_toc.yml"
    config = src / "_config.yml"
    if not toc.is_file() or not config.is_file():
        print(f"{src}: no _toc.yml or _config.yml (give the book folder)", file=sys.stderr)
        return 2
    jobs = (os.cpu_count() or 1) if args.jobs == "auto" else int(args.jobs)
    overrides = {"external_toc_path": toc.as_posix(), "latex_individualpages": False}
    if args.nitpick:
        overrides["nitpicky"] = True
    out = (args.path_output.absolute() if args.path_output else src) / "_build" / "html"
    result = build_sphinx(
        src,
        out,
        use_external_toc=True,
        noconfig=True,
        path_config=str(config),
        confoverrides=overrides,
        builder="html",
        warningiserror=args.warningiserror,
        keep_going=args.keep_going,
        freshenv=args.fresh,
        jobs=jobs,
    )
    if isinstance(result, Exception):
        print(f"build failed: {result}", file=sys.stderr)
        return 1
    if result == 0:
        print(f"HTML in {out} ({jobs} job{'s' if jobs != 1 else ''})")
    return int(result)


if __name__ == "__main__":
    sys.exit(main())
