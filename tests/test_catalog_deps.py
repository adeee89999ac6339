"""Catalog rows are per-page dependencies: editing one talks.csv row writes again only the
pages that show it (and reads again only the pages whose title it is), removing a row a page uses fails the build at the page's line, adding it
back fixes the page, and unchanged generated pages are not written again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import jb_build, mini_book, output_of, read_rows, write_rows
from test_incremental import CARD, PAGES, note

pytestmark = pytest.mark.slow

EDITED = "deview-2019-ai-suite"  # its row is edited; page a has its card
REMOVED = "deview-2019-ai-call"  # its row is removed, then added back; page d mentions it
OTHER = "deview-2023-kafka-consumer"  # page c mentions only this talk

ESSAY = """---
talkbook:
  kind: essay
  language: ko
  description: 시험용 노트
---
# {title}

{body}
"""


def mtimes(folder: Path, pattern: str) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.glob(pattern)}


def build(src: Path, out: Path) -> str:
    result = jb_build(src, out)
    text = output_of(result)
    assert result.returncode == 0, text[-4000:]
    return text


def sitemap_locs(html: Path) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", (html / "sitemap.xml").read_text(encoding="utf-8"))


def test_talks_csv_rows_are_per_page_dependencies(tmp_path: Path) -> None:
    pages = dict(PAGES)
    pages["book/notes/c"] = ESSAY.format(title="노트 다", body=f"관련: {{talk}}`{OTHER}`\n")
    pages["book/notes/d"] = ESSAY.format(title="노트 라", body=f"{{talk}}`{REMOVED}` 언급.\n")
    src = mini_book(tmp_path / "src", pages)
    out = tmp_path / "out"
    html = out / "_build" / "html"
    doctrees = out / "_build" / ".doctrees"
    build(src, out)

    talks_csv = src / "data" / "talks.csv"
    rows = read_rows(talks_csv)
    fields = list(rows[0])
    ids = [r["id"] for r in rows]
    edited = rows[ids.index(EDITED)]
    neighbour = ids[ids.index(EDITED) + 1]
    # a talk page that shows nothing of the edited row: another conference, no shared tag,
    # not next to it in catalog order (previous/next links)
    unrelated = next(
        r["id"]
        for r in rows
        if r["conference"] != edited["conference"]
        and not set(r["tags"].split(";")) & set(edited["tags"].split(";"))
        and abs(ids.index(r["id"]) - ids.index(EDITED)) > 1
    )
    unrelated_tag = next(
        t["id"]
        for t in read_rows(src / "data" / "tags.csv")
        if t["id"] not in edited["tags"].split(";")
    )

    # (iv) an edit that changes no generated page writes none of them; the sitemap keeps them
    generated = mtimes(html, "talks/*.html") | mtimes(html, "tags/*.html")
    generated |= mtimes(html, "conferences/*.html")
    c_md = src / "book/notes/c.md"
    c_md.write_text(c_md.read_text(encoding="utf-8") + "\n한 줄 더.\n", encoding="utf-8")
    build(src, out)
    assert "한 줄 더." in (html / "book/notes/c.html").read_text(encoding="utf-8")
    after = mtimes(html, "talks/*.html") | mtimes(html, "tags/*.html")
    after |= mtimes(html, "conferences/*.html")
    assert after == generated, "generated pages were written again"
    locs = sitemap_locs(html)
    assert any(loc.endswith(f"talks/{EDITED}.html") for loc in locs), locs
    assert any(loc.endswith("tags/index.html") for loc in locs), locs

    # (i) one row's title edited: the pages showing it are written with the new title, and
    # only the talk's own page (whose title it is) is read again; page c (another talk) not
    read_before = mtimes(doctrees, "**/*.doctree")
    written_before = mtimes(html, "book/**/*.html") | mtimes(html, "talks/*.html")
    written_before |= mtimes(html, "tags/*.html")
    edited["title"] = "새 제목: AI Suite 이야기"
    write_rows(talks_csv, rows, fields)
    build(src, out)
    read_after = mtimes(doctrees, "**/*.doctree")
    reread = sorted(d for d in read_after if read_after[d] != read_before.get(d))
    assert reread == [f"talks/{EDITED}.doctree"], reread
    for page in (
        "book/notes/a.html",
        "book/catalog.html",
        f"talks/{EDITED}.html",
        f"talks/{neighbour}.html",  # its "previous" link
        f"conferences/{edited['conference']}.html",
    ):
        assert "새 제목: AI Suite 이야기" in (html / page).read_text(encoding="utf-8"), page
    written_after = mtimes(html, "book/**/*.html") | mtimes(html, "talks/*.html")
    written_after |= mtimes(html, "tags/*.html")
    for page in (
        "book/notes/c.html",
        f"talks/{unrelated}.html",
        f"tags/{unrelated_tag}.html",
    ):
        assert written_after[page] == written_before[page], f"{page} was written again"

    # (ii) a row that page d uses is removed: the strict build fails at d's line
    write_rows(talks_csv, [r for r in rows if r["id"] != REMOVED], fields)
    result = jb_build(src, out)
    text = output_of(result)
    assert result.returncode != 0
    assert re.search(rf"notes/d\.md:9: WARNING: unknown talk id '{REMOVED}'", text), text[-3000:]

    # (iii) adding the row back reads page d again: the build passes and d links the talk
    write_rows(talks_csv, rows, fields)
    text = build(src, out)
    assert "unknown talk id" not in text
    d_html = (html / "book/notes/d.html").read_text(encoding="utf-8")
    assert f"../../talks/{REMOVED}.html" in d_html
    assert "talkbook-unknown" not in d_html


def test_front_matter_checks_follow_added_rows(tmp_path: Path) -> None:
    """A page whose front matter names a talk the catalog lacks fails; adding the row (no
    other change) reads the page again and the build passes."""
    new_id = "deview-2019-zz-new-talk"
    pages = {k: PAGES[k] for k in ("book/intro", "book/notes/a")}
    pages["book/notes/e"] = note("노트 마", [new_id], CARD.format(heading="새 발표", talk=new_id))
    src = mini_book(tmp_path / "src", pages)
    out = tmp_path / "out"
    result = jb_build(src, out)
    text = output_of(result)
    assert result.returncode != 0
    assert f"unknown talk id {new_id!r}" in text, text[-3000:]

    talks_csv = src / "data" / "talks.csv"
    rows = read_rows(talks_csv)
    model = next(r for r in rows if r["id"] == EDITED)
    new_row = {**model, "id": new_id, "order": "99", "title": "새로 넣은 발표"}
    last = max(
        i for i, r in enumerate(rows) if r["conference"] == "deview-2019" and r["day"] == "1"
    )
    rows.insert(last + 1, new_row)
    write_rows(talks_csv, rows, list(rows[0]))
    text = build(src, out)
    html = out / "_build" / "html"
    assert "새로 넣은 발표" in (html / "book/notes/e.html").read_text(encoding="utf-8")
    assert (html / "talks" / f"{new_id}.html").is_file()
