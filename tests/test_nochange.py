"""A rebuild that reads and writes no page leaves the site-wide files talkbook writes after
the pages alone (feed, catalog.json, trimmed icon fonts); a rebuild that writes pages gets
the same fonts back without trimming them again."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import jb_build, mini_book, output_of
from test_incremental import PAGES

pytestmark = pytest.mark.slow

SITE_FILES = ("atom.xml", "catalog.json")


def build(src: Path, out: Path) -> Path:
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-4000:]
    return out / "_build" / "html"


def state(html: Path, cache: Path) -> dict[str, tuple[bytes, int]]:
    files = [html / name for name in SITE_FILES]
    files += sorted((html / "_static/vendor/fontawesome/webfonts").glob("*.woff2"))
    files += sorted(cache.iterdir())
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def test_site_files_follow_page_writes(tmp_path: Path) -> None:
    src = mini_book(tmp_path / "src", PAGES)
    out = tmp_path / "out"
    html = build(src, out)
    cache = out / "_build" / ".doctrees" / "talkbook-icons"
    first = state(html, cache)
    fonts = [k for k in first if k.endswith(".woff2") and "/webfonts/" in k]
    assert fonts and all(len(first[k][0]) < 20_000 for k in fonts), "fonts not trimmed"

    build(src, out)  # nothing changed: nothing rewritten, the cache keeps its files
    assert state(html, cache) == first

    note = src / "book/notes/b.md"
    note.write_text(note.read_text(encoding="utf-8") + "\n한 줄 더.\n", encoding="utf-8")
    build(src, out)
    third = state(html, cache)
    assert third.keys() == first.keys()  # no new cache entries
    for name in fonts:  # the theme's font copied again, the kept subset put back
        assert third[name][0] == first[name][0]
    assert third[str(html / "atom.xml")][1] != first[str(html / "atom.xml")][1]
