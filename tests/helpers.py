"""Shared helpers for the tests: building books, copying the repository, small books."""

from __future__ import annotations

import csv
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
JB = str(BIN / "jupyter-book")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IGNORE = shutil.ignore_patterns(
    ".venv", "_build", ".git", "__pycache__", ".pytest_cache", "*.egg-info", ".ruff_cache"
)


def jb_build(
    src: Path, out: Path, *extra: str, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Build the book in ``src`` strictly; HTML goes to ``out/_build/html``."""
    cmd = [JB, "build", str(src), "-W", "-n", "--keep-going", "--path-output", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=src)


def copy_repo(dest: Path) -> Path:
    """A copy of the working tree without generated or environment folders."""
    shutil.copytree(ROOT, dest, ignore=IGNORE)
    return dest


def mini_book(dest: Path, pages: dict[str, str], data: Path | None = None) -> Path:
    """A small book: the real _config.yml and catalog, the given pages, a toc listing them.

    ``pages`` maps docnames (e.g. ``book/intro``) to MyST text; the first one is the root.
    """
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "_config.yml", dest / "_config.yml")
    # the catalog only: other data files (e.g. redirects) name pages a small book lacks
    (dest / "data").mkdir()
    for name in ("schema.yaml", "conferences.csv", "tags.csv", "talks.csv"):
        shutil.copy((data or ROOT / "data") / name, dest / "data" / name)
    for docname, text in pages.items():
        path = dest / f"{docname}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    names = list(pages)
    toc = ["format: jb-book", f"root: {names[0]}"]
    if len(names) > 1:
        toc += ["chapters:", *(f"  - file: {n}" for n in names[1:])]
    (dest / "_toc.yml").write_text("\n".join(toc) + "\n", encoding="utf-8")
    return dest


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    """What a command printed, both streams, without terminal colours."""
    return ANSI.sub("", result.stdout + "\n" + result.stderr)


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a catalog CSV."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, str]], fields: list[str] | None = None) -> None:
    """Write catalog rows (columns: *fields*, else the first row's)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields or list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output readable
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """``directory`` on http://127.0.0.1:<free port> in a thread; (server, base URL)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
