"""A reader's path in a real browser: home → catalog → a talk → a note that covers it."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_home_to_catalog_to_talk_to_note(page, served_book: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{served_book}/index.html")
    expect(page).to_have_url(re.compile(r"book/intro\.html$"))
    page.locator("nav.bd-docs-nav a", has_text="발표 카탈로그").first.click()
    expect(page).to_have_url(re.compile(r"book/catalog\.html$"))
    table = page.locator("table.talkbook-catalog")
    expect(table).to_be_visible()

    # the filters narrow the table to one conference
    page.select_option("select[data-filter=conference]", "deview-2023")
    expect(page.locator("table.talkbook-catalog tbody tr:visible")).to_have_count(7)
    page.select_option("select[data-filter=conference]", "")

    page.locator("#talk-deview-2019-ai-suite a.talkbook-talk-ref").click()
    expect(page).to_have_url(re.compile(r"talks/deview-2019-ai-suite\.html$"))
    backlinks = page.locator("#covered-in ul.talkbook-covers a")
    expect(backlinks).to_have_count(2)

    backlinks.first.click()
    expect(page).to_have_url(re.compile(r"book/notes/deview-2019-day1-(memo|review)\.html#"))
    anchor = page.url.split("#", 1)[1]
    section = page.locator(f"section[id='{anchor}']")
    expect(section.locator(".talkbook-card")).to_be_visible()


def test_catalog_sorts_by_column(page, served_book: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{served_book}/book/catalog.html")
    header = page.locator("table.talkbook-catalog thead th", has_text="노트")
    cells = page.locator("table.talkbook-catalog tbody tr td:last-child")
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    counts = [int(re.sub(r"\D", "", c)) for c in cells.all_inner_texts()]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    counts = [int(re.sub(r"\D", "", c)) for c in cells.all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
