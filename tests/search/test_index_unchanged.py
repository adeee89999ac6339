"""A rebuild that indexes no page and changes no document or setting leaves the search
index as it is: the page store is not even loaded (its cost grew with the book)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_stemmer

from talkbook.search import STATS_ENV


def build(src: Path, out: Path, stats: Path) -> dict:
    from sphinx.util.docutils import docutils_namespace

    with docutils_namespace():
        app = test_stemmer.sphinx_app(src, out)
        app.build()
    return json.loads(stats.read_text(encoding="utf-8").splitlines()[-1])


def test_no_change_rebuild_keeps_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stats = tmp_path / "stats.jsonl"
    monkeypatch.setenv(STATS_ENV, str(stats))
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        'project = "t"\nlanguage = "ko"\nextensions = ["talkbook.search"]\n', encoding="utf-8"
    )
    (src / "index.rst").write_text("색인\n====\n\n.. toctree::\n\n   a\n   b\n", encoding="utf-8")
    (src / "a.rst").write_text("가\n==\n\n카프카 컨슈머를 늘렸다.\n", encoding="utf-8")
    (src / "b.rst").write_text("나\n==\n\n쿠버네티스를 쓴다.\n", encoding="utf-8")
    meta = out / "_static" / "talkbook-search" / "meta.js"

    first = build(src, out, stats)
    assert first["collected"] == 3 and meta.is_file()
    written = meta.stat().st_mtime_ns

    second = build(src, out, stats)
    assert second["index"] == "unchanged", second
    assert meta.stat().st_mtime_ns == written

    (src / "b.rst").write_text("나\n==\n\n쿠버네티스를 쓴다. 파티션을 나눴다.\n", encoding="utf-8")
    third = build(src, out, stats)
    assert third["index"] != "unchanged" and third["collected"] >= 1, third
    assert meta.stat().st_mtime_ns != written

    (src / "b.rst").unlink()  # a page removed: the index is written without it
    (src / "index.rst").write_text("색인\n====\n\n.. toctree::\n\n   a\n", encoding="utf-8")
    fourth = build(src, out, stats)
    assert fourth["index"] != "unchanged" and fourth["pages"] == 2, fourth
