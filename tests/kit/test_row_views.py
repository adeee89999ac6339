"""Catalog rows are drawn when a page is written: a talks.csv edit writes the pages that show
the row without reading them again, and the incremental result equals a clean build.

In-process builds of the kit's small catalog book (``test_kit``) with the book's theme,
recording which documents Sphinx reads (``env-before-read-docs``) and writes
(``html-page-context``).
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import io
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace
from test_kit import ALL_EXTENSIONS, CATALOG_PAGES, make_book

PIPELINES = "conf-2024-pipelines"  # carded by notes/first
FRONTEND = "conf-2024-frontend"  # in a heading of notes/heading, a role in notes/first
PAGES = {
    **CATALOG_PAGES,
    "index": "# Home\n\nWelcome.\n\n```{toctree}\ncatalog\nnotes/first\nnotes/heading\n```\n",
    "notes/heading": (
        "---\ntalkbook:\n  kind: essay\n  language: en\n  description: A heading note.\n---\n"
        f"# Heading note\n\n## About {{talk}}`{FRONTEND}`\n\nText.\n"
    ),
}


def build(src: Path, out: Path) -> tuple[list[str], list[str]]:
    """An incremental HTML build of ``src`` into ``out``: (documents read, pages written)."""
    read: list[str] = []
    written: list[str] = []
    warnings = io.StringIO()
    with docutils_namespace():
        app = Sphinx(
            str(src),
            str(src),
            str(out / "html"),
            str(out / "doctrees"),
            "html",
            confoverrides={
                "extensions": ["myst_parser", *ALL_EXTENSIONS],
                "language": "en",
                # the book's theme: talkbook.navcache writes the pages whose navigation
                # (previous/next titles) changed; with other themes Sphinx leaves them stale
                "html_theme": "sphinx_book_theme",
            },
            status=None,
            warning=warnings,
        )
        app.connect("env-before-read-docs", lambda app, env, docs: read.extend(docs))
        app.connect("html-page-context", lambda app, page, *args: written.append(page))
        try:
            app.build()
        finally:
            manager = getattr(getattr(app, "sitemap_links", None), "_manager", None)
            if manager is not None:
                manager.shutdown()
    assert warnings.getvalue() == ""
    return sorted(read), sorted(written)


def retitle(src: Path, talk_id: str, title: str) -> None:
    path = src / "data" / "talks.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["id"] == talk_id:
            row["title"] = title
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def page(out: Path, name: str) -> str:
    return (out / "html" / f"{name}.html").read_text(encoding="utf-8")


def same_as_clean(src: Path, out: Path, clean: Path) -> None:
    """Every HTML page of the incremental build equals a clean build's."""
    build(src, clean)
    names = sorted(p.relative_to(clean / "html") for p in (clean / "html").rglob("*.html"))
    assert names == sorted(p.relative_to(out / "html") for p in (out / "html").rglob("*.html"))
    for name in names:
        mine = (out / "html" / name).read_text(encoding="utf-8")
        assert mine == (clean / "html" / name).read_text(encoding="utf-8"), name


def test_a_title_edit_writes_the_card_without_reading_the_note(tmp_path: Path) -> None:
    src = make_book(tmp_path, PAGES, catalog=True, language="en")
    out = tmp_path / "out"
    build(src, out)
    assert "Streaming pipelines at scale" in page(out, "notes/first")

    retitle(src, PIPELINES, "Pipelines, retitled")
    read, written = build(src, out)
    # the talk's own page is read again (its title is the row's); the note and the catalog
    # only show the row: written with the new title, not read
    assert read == [f"talks/{PIPELINES}"], read
    for name in ("notes/first", "catalog", "conferences/conf-2024", "tags/data"):
        assert name in written, (name, written)
        assert "Pipelines, retitled" in page(out, name), name
        assert "Streaming pipelines at scale" not in page(out, name), name
    # a page that shows nothing of the row is not written, nor are the toctree parents of
    # pages written without being read (tags/index lists tags/data; its counts are the same)
    assert "notes/heading" not in written
    assert "tags/index" not in written
    same_as_clean(src, out, tmp_path / "clean1")


def test_a_talk_role_in_a_heading_is_read_again(tmp_path: Path) -> None:
    """The heading's text is the page's table of contents and section id: read again."""
    src = make_book(tmp_path, PAGES, catalog=True, language="en")
    out = tmp_path / "out"
    build(src, out)
    retitle(src, FRONTEND, "Pages that fly")
    read, written = build(src, out)
    assert read == ["notes/heading", f"talks/{FRONTEND}"], read
    assert "notes/first" in written  # its {talk} role shows the title: written, not read
    assert re.search(r'<section id="about-pages-that-fly"', page(out, "notes/heading"))
    assert "Pages that fly" in page(out, "notes/first")
    same_as_clean(src, out, tmp_path / "clean2")


def test_sphinx_writes_toctree_parents_as_pinned() -> None:
    """talkbook.domain.parents_of_read_docs narrows ``env.files_to_rebuild`` at
    write-started; ``Builder.write`` reads it right after emitting that event, and
    ``Builder.build`` pickles the environment before calling ``write``."""
    from sphinx.builders import Builder

    def digest(obj: object) -> str:
        return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]

    assert digest(Builder.write) == "76052fef137f51f9"
    assert digest(Builder.build) == "9266cb0dac64e231"
