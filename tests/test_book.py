"""The real book, built once: talk pages, catalog, backlinks, anchors, strictness."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from helpers import ROOT, jb_build, mini_book, output_of

from talkbook.catalog import load_catalog

CATALOG = load_catalog(ROOT / "data")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def backlinks(html: Path, talk_id: str) -> list[str]:
    """hrefs listed under "이 발표를 다룬 노트" on a talk page."""
    section = soup(html / "talks" / f"{talk_id}.html").find(id="covered-in")
    return [a["href"] for a in section.select("ul.talkbook-covers a")]


def test_every_talk_has_a_page(built_book: Path) -> None:
    for talk in CATALOG.talks.to_dict("records"):
        page = built_book / "talks" / f"{talk['id']}.html"
        assert page.exists(), talk["id"]
        assert talk["title"] in soup(page).find("h1").get_text()


def test_catalog_lists_every_talk(built_book: Path) -> None:
    table = soup(built_book / "book" / "catalog.html").find("table", class_="talkbook-catalog")
    rows = {tr.get("id") for tr in table.find_all("tr") if tr.get("id")}
    assert rows == {f"talk-{t}" for t in CATALOG.talk_ids}
    links = {a["href"] for a in table.select("a.talkbook-talk-ref")}
    assert {f"../talks/{t}.html" for t in CATALOG.talk_ids} <= links


def test_ai_suite_page_links_both_notes(built_book: Path) -> None:
    hrefs = backlinks(built_book, "deview-2019-ai-suite")
    docs = {h.split("#")[0] for h in hrefs}
    assert "../book/notes/deview-2019-day1-memo.html" in docs
    assert "../book/notes/deview-2019-day1-review.html" in docs
    for href in hrefs:  # each backlink points at the covering section, by a readable anchor
        page, anchor = href.split("#")
        target = soup((built_book / "talks" / page).resolve())
        assert target.find(id=anchor) is not None, href
        assert not re.fullmatch(r"id\d+", anchor)


def test_cards_link_the_other_note(built_book: Path) -> None:
    card = soup(built_book / "book" / "notes" / "deview-2019-day1-memo.html").find(
        id="talk-deview-2019-ai-suite"
    )
    also = card.find(class_="talkbook-card-also")
    assert "deview-2019-day1-review.html#" in str(also)


def test_korean_headings_get_readable_anchors(built_book: Path) -> None:
    for page in (built_book / "book" / "notes").glob("*.html"):
        ids = [s.get("id") for s in soup(page).find_all("section")]
        assert ids and not [i for i in ids if re.fullmatch(r"id\d+", i or "")], page.name


def test_conference_and_tag_pages(built_book: Path) -> None:
    conf = soup(built_book / "conferences" / "deview-2019.html")
    assert len(conf.select("ul.talkbook-talk-list li")) == len(CATALOG.talks_of("deview-2019"))
    tag_index = soup(built_book / "tags" / "index.html")
    assert len(tag_index.select(".talkbook-tag-cloud li")) == len(CATALOG.tags)
    assert (built_book / "tags" / "kubernetes.html").exists()


UNKNOWN = """---
talkbook:
  kind: page
  language: ko
  description: test
---
# 시험

첫 문단.

여기서 {talk}`deview-2019-ai-suit` 를 언급합니다.
"""


@pytest.mark.slow
def test_unknown_talk_id_fails_with_page_and_line(tmp_path: Path) -> None:
    src = mini_book(tmp_path / "src", {"book/intro": UNKNOWN})
    result = jb_build(src, tmp_path / "out")
    out = output_of(result)
    assert result.returncode != 0
    assert "book/intro.md:11" in out
    assert "unknown talk id 'deview-2019-ai-suit'" in out
    assert "did you mean deview-2019-ai-suite" in out


@pytest.mark.slow
def test_bad_catalog_stops_the_build_with_every_problem(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    fixtures = Path(__file__).parent / "catalog_fixtures"
    shutil.copy(fixtures / "duplicate-id" / "talks.csv", data / "talks.csv")
    text = (
        (data / "talks.csv")
        .read_text(encoding="utf-8")
        .replace("ml-platform,요약.\n", "ml-platfrm,요약.\n", 1)
    )
    (data / "talks.csv").write_text(text, encoding="utf-8")
    src = mini_book(tmp_path / "src", {"book/intro": "# 홈\n\n본문.\n"}, data=data)
    result = jb_build(src, tmp_path / "out")
    out = output_of(result)
    assert result.returncode != 0
    assert "the talk catalog has 2 problems" in out
    assert (
        "data/talks.csv:2: tags: unknown tags id 'ml-platfrm' (did you mean 'ml-platform'?" in out
    )
    assert "data/talks.csv:3: id: duplicate id 'deview-2019-ai-suite'" in out
