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


def small_shards_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A Korean book with 1 KB shards (many shards from a few pages); the stats file."""
    stats = tmp_path / "stats.jsonl"
    monkeypatch.setenv(STATS_ENV, str(stats))
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'project = "t"\nlanguage = "ko"\nextensions = ["talkbook.search"]\n'
        "talkbook_search_shard_kb = 1\n",
        encoding="utf-8",
    )
    return stats, src


def write_index_page(src: Path, pages: list[str]) -> None:
    (src / "index.rst").write_text(
        "색인\n====\n\n.. toctree::\n\n" + "".join(f"   {p}\n" for p in pages), encoding="utf-8"
    )


def test_edit_rewrites_only_the_shards_that_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edited page rewrites the index files whose text changed (here one shard: the
    page's length and title stay); every other file keeps its mtime, and the result equals
    a clean build of the edited book."""
    stats, src = small_shards_book(tmp_path, monkeypatch)
    words = ["카프카", "쿠버네티스", "파티션", "컨슈머", "모델", "서빙", "샤딩", "로그", "검색"]
    pages = [f"p{i}" for i in range(24)]
    write_index_page(src, pages)
    for i, p in enumerate(pages):
        body = " ".join(f"{words[(i + k) % len(words)]}{i}{k}" for k in range(40))
        (src / f"{p}.rst").write_text(f"쪽 {i}\n=====\n\n{body}\n", encoding="utf-8")
    out = tmp_path / "out"
    build(src, out, stats)
    folder = out / "_static" / "talkbook-search"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.glob("*.js")}
    assert len([n for n in before if n[0] == "s" and n[1].isdigit()]) > 4

    # one word changed (the size of the index, and so the number of shards, stays)
    text = (src / "p5.rst").read_text(encoding="utf-8")
    (src / "p5.rst").write_text(text.replace("카프카54", "카프카09"), encoding="utf-8")
    edited = build(src, out, stats)
    clean = tmp_path / "clean"
    build(src, clean, stats)

    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.glob("*.js")}
    fresh = {p.name: p.read_bytes() for p in (clean / "_static" / "talkbook-search").glob("*.js")}
    assert {n: b for n, (b, _t) in after.items()} == fresh  # incremental == clean
    changed = {n for n in after if n not in before or after[n][0] != before[n][0]}
    rewritten = {n for n in after if n not in before or after[n][1] != before[n][1]}
    assert changed, "the edit changed no file"
    assert rewritten - {"stemmer.js", "talkbook-search.js"} == changed, (rewritten, changed)
    assert len(changed) < len(after) - 2, "every shard was rewritten"
    assert edited["index"]["written"] == len(changed), edited
    assert edited["index"]["patched"] == 1, edited


def test_patched_postings_equal_a_clean_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits that add and remove words with particles (covered forms come and go) give,
    through the kept and patched postings, the index of a clean build."""
    import random

    stats, src = small_shards_book(tmp_path, monkeypatch)
    nouns = ["카프카", "컨슈머", "파티션", "모델", "서버", "로그", "검색", "색인"]
    particles = ["", "를", "을", "가", "이", "는", "에서", "으로", "의"]
    rng = random.Random(3)

    def text(i: int) -> str:
        words = [rng.choice(nouns) + rng.choice(particles) for _ in range(rng.randint(3, 12))]
        return f"쪽 {i}\n=====\n\n{' '.join(words)}.\n"

    pages = [f"p{i}" for i in range(8)]
    write_index_page(src, pages)
    for i, p in enumerate(pages):
        (src / f"{p}.rst").write_text(text(i), encoding="utf-8")
    out = tmp_path / "out"
    build(src, out, stats)

    def files(html: Path) -> dict[str, bytes]:
        folder = html / "_static" / "talkbook-search"
        return {p.name: p.read_bytes() for p in sorted(folder.glob("*.js"))}

    for step in range(4):
        for i in rng.sample(range(len(pages)), 2):
            (src / f"p{i}.rst").write_text(text(i), encoding="utf-8")
        edited = build(src, out, stats)
        assert edited["collected"] >= 2 and edited["index"]["patched"] == 1, edited
        clean = tmp_path / f"clean{step}"
        build(src, clean, stats)
        assert files(out) == files(clean), f"step {step}"
