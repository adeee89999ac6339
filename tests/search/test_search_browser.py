"""The built book's search page in Chromium: Korean queries find the right pages,
results show a title and a snippet, and HTML in a query stays text.

Uses the session fixtures of tests/conftest.py: ``built_book`` (the real book,
built once), ``served_book`` (its URL on 127.0.0.1) and ``page`` (a Chromium page).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import pytest
from helpers import ROOT

pytestmark = pytest.mark.browser

# Search._finishSearch fills the summary line once every result is listed.
FINISHED = (
    "() => { const s = document.querySelector('#search-results p.search-summary');"
    " return !!s && s.innerText.length > 0; }"
)


def _docnames(page) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    for href in page.eval_on_selector_all(
        "#search-results ul.search > li > a", "els => els.map(a => a.getAttribute('href'))"
    ):
        path = unquote(urlsplit(href).path).lstrip("/").removeprefix("./").removesuffix(".html")
        if path not in out:
            out.append(path)
    return out


def _search(page, served_book: str, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    page.goto(f"{served_book}/search.html?q={quote(query)}")
    page.wait_for_function(FINISHED, timeout=20_000)
    return _docnames(page)


def test_site_uses_the_talkbook_search(built_book) -> None:  # type: ignore[no-untyped-def]
    folder = built_book / "_static" / "talkbook-search"
    assert (folder / "meta.js").exists() and list(folder.glob("s[0-9]*.js"))
    assert "Korean-aware stemmer" in (folder / "stemmer.js").read_text(encoding="utf-8")
    # no page loads Sphinx's whole index any more
    assert (built_book / "searchindex.js").stat().st_size < 2000  # an empty stand-in
    for name in ("index.html", "search.html"):
        html = (built_book / name).read_text(encoding="utf-8")
        assert "searchindex.js" not in html and "searchtools.js" not in html, name


def test_typing_a_bare_noun_in_the_search_box(page, served_book: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{served_book}/search.html")
    box = page.locator("#search-results").locator("xpath=..").locator('input[name="q"]').first
    box.fill("쿠버네티스")
    box.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    page.wait_for_function(FINISHED, timeout=20_000)
    top = _docnames(page)[:5]
    assert "book/notes/deview-2019-day2-memo" in top, top
    # each result shows the page title and, once fetched, a snippet with the word
    first = page.locator("#search-results ul.search > li").first
    assert first.locator("a").inner_text().strip()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#search-results p.context')]"
        ".some(p => p.textContent.includes('쿠버네티스'))",
        timeout=20_000,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("쿠버네티스를", "book/notes/deview-2019-day2-memo"),  # noun + particle
        ("컨슈머가", "book/notes/deview-2023-day1"),  # loanword + particle
        ("HBase에서", "book/notes/deview-2023-day1"),  # Latin + particle
        ("적재하는", "book/notes/deview-2023-day1"),  # verb form
        ("Armeria", "book/notes/deview-2019-day2-memo"),  # English
        ("카프카 컨슈머", "book/notes/deview-2023-day1"),  # two words
        ("읽기 증폭", "book/notes/deview-2023-day1"),  # two two-syllable words
    ],
)
def test_query_finds_page(page, served_book: str, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    top = _search(page, served_book, query)[:5]
    assert expected in top, f"{query!r}: {top}"


def test_pages_with_every_word_come_first(page, served_book: str) -> None:  # type: ignore[no-untyped-def]
    both = _search(page, served_book, "샤딩 카프카")
    kafka = set(_search(page, served_book, "카프카"))
    sharding = set(_search(page, served_book, "샤딩"))
    assert set(both) == kafka | sharding  # a page with one of the words still counts
    every = [d for d in both if d in kafka & sharding]
    assert every and both[: len(every)] == every  # ...after the pages with both


def test_html_in_a_query_is_text(page, served_book: str) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    query = "<img src=x onerror=alert(1)>"
    page.goto(f"{served_book}/search.html?q={quote(query)}")
    page.wait_for_function(FINISHED, timeout=20_000)
    page.wait_for_timeout(500)  # let result snippets load
    assert dialogs == []
    assert page.eval_on_selector_all('img[src="x"]', "els => els.length") == 0
    assert page.locator('input[name="q"]').first.input_value() == query


def test_a_talks_title_finds_its_page_first(page, served_book: str) -> None:  # type: ignore[no-untyped-def]
    """Generated talk pages are documents in the index: searching a talk's Korean title
    (as a reader would type it, without punctuation) puts its page first."""
    from talkbook.catalog import load_catalog

    cat = load_catalog(ROOT / "data")
    misses = []
    for talk in cat.rows("talks"):
        query = " ".join(re.sub(r"[^\w\s]", " ", talk["title"]).split()[:6])
        found = _search(page, served_book, query)
        if not found or found[0] != f"talks/{talk['id']}":
            misses.append((query, found[:3]))
    assert not misses, misses
