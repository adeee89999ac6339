"""The navigation a reader sees in Chromium, shipped once (talkbook.navcache) vs the whole
tree in every page (``talkbook_nav_shipped = False``, the theme's own HTML): the same links
in the same order, the current page marked, expandable; without JavaScript every page is
still reachable through the page's branch and the contents page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import yaml
from helpers import jb_build, output_of, serve
from test_navcache import PAGES, nested_book

pytestmark = pytest.mark.slow

DOCS = [d for d in PAGES]  # every page of the fixture book is in its toc

# what a reader sees: each link (resolved, without the page's own URL), its text, whether
# it is marked current, and the open state of every expandable list
READ_NAV = """() => {
  const nav = document.querySelector("nav.bd-docs-nav");
  const links = Array.from(nav.querySelectorAll("a")).map(a => [
    a.getAttribute("href") === "#" ? "#" : new URL(a.getAttribute("href"), location.href).pathname,
    a.textContent.trim(),
    a.classList.contains("current"),
    !!a.closest("li") && a.closest("li").classList.contains("active"),
  ]);
  const details = Array.from(nav.querySelectorAll("details")).map(d => d.open);
  return {links, details};
}"""


def _with_shipping(src: Path, on: bool) -> None:
    cfg = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8"))
    cfg["sphinx"]["config"]["talkbook_nav_shipped"] = on
    (src / "_config.yml").write_text(
        yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The fixture book built twice, shipped and whole, each served on localhost."""
    urls, servers = {}, []
    for name, on in (("shipped", True), ("whole", False)):
        base = tmp_path_factory.mktemp(name)
        src = nested_book(base / "src", check=False)
        _with_shipping(src, on)
        result = jb_build(src, base / "out")
        assert result.returncode == 0, output_of(result)[-4000:]
        server, url = serve(base / "out" / "_build" / "html")
        servers.append(server)
        urls[name] = url
    yield urls
    for server in servers:
        server.shutdown()


def test_reader_sees_the_same_navigation(sites: dict[str, str], browser) -> None:
    """With JavaScript the shipped navigation is the whole tree, as today, on every page,
    the page marked current and its branch open; a closed list opens by keyboard."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: dict[str, set[str]] = {name: set() for name in sites}
    current = ["whole"]
    page.on("pageerror", lambda e: errors[current[0]].add(str(e)))
    try:
        for doc in [*DOCS, "talks/deview-2019-ai-suite"]:
            seen = {}
            for name, url in sites.items():
                current[0] = name
                page.goto(f"{url}/{doc}.html")
                seen[name] = page.evaluate(READ_NAV)
            assert seen["shipped"] == seen["whole"], doc
            assert len(seen["shipped"]["links"]) == len(DOCS)  # home link + 7 entries
        # on a page deep in the tree: its entries are marked and its lists open
        current[0] = "shipped"
        page.goto(f"{sites['shipped']}/book/deep/er/b11.html")
        nav = page.evaluate(READ_NAV)
        assert [t for _h, t, cur, _a in nav["links"] if cur] == ["나 장의 절의 절"]
        assert [t for _h, t, _c, act in nav["links"] if act] == [
            "나 장",
            "나 장의 절",
            "나 장의 절의 절",
        ]
        # a closed list ("가 장") opens from the keyboard, as the theme's <details> do
        summary = page.locator("nav.bd-docs-nav li:has(> a:text-is('가 장')) > details > summary")
        assert summary.evaluate("s => s.parentElement.open") is False
        summary.focus()
        page.keyboard.press("Enter")
        assert summary.evaluate("s => s.parentElement.open") is True
        assert page.locator("nav.bd-docs-nav a:text-is('가 장의 둘째 절')").is_visible()
        # the phone drawer holds the whole tree too
        page.set_viewport_size({"width": 400, "height": 800})
        page.goto(f"{sites['shipped']}/book/c.html")
        page.locator(".bd-header-article .primary-toggle").click()
        page.wait_for_selector("#pst-primary-sidebar-modal[open]", timeout=5000)
        drawer = page.locator("#pst-primary-sidebar-modal")
        assert drawer.locator("nav.bd-docs-nav a:text-is('나 장의 절의 절')").count() == 1
        assert drawer.locator("a.current").inner_text().strip() == "다 장"
    finally:
        context.close()
    assert errors["shipped"] <= errors["whole"]  # no script error of its own


def test_every_page_is_reachable_without_javascript(sites: dict[str, str], browser) -> None:
    """Without JavaScript a reader sees the page's branch and the contents link; following
    sidebar links from the home page reaches every page of the book."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = sites["shipped"]
    try:
        page.goto(f"{base}/book/c.html")
        texts = page.locator("nav.bd-docs-nav a").all_inner_texts()
        assert [t.strip() for t in texts] == ["홈", "나 장", "다 장", "종합 목차"]
        todo, seen = [f"{base}/book/intro.html"], set()
        while todo:
            url = todo.pop()
            path = urlparse(url).path
            if path in seen:
                continue
            seen.add(path)
            page.goto(url)
            hrefs = page.eval_on_selector_all(
                "nav.bd-docs-nav a, nav.talkbook-nav-contents a",
                "els => els.map(a => a.getAttribute('href'))",
            )
            for href in hrefs:
                if href and href != "#" and not href.startswith(("http:", "https:")):
                    todo.append(urljoin(url, href))
    finally:
        context.close()
    assert {f"/{d}.html" for d in DOCS} <= seen
    assert "/contents.html" in seen
