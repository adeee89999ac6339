"""Reading experience of the built book: screens, sharing tags, sitemap, 404, redirects,
navigation and accessibility (talkbook.meta + talkbook.css); a light, offline page
(talkbook.assets, talkbook.mathml); data for others (talkbook.dataout, talkbook.feeds);
notebooks readers can run (talkbook.notebooks).

Screenshots of four pages at desktop and phone widths, light and dark, are saved under
``_build/screenshots/`` for review. Browser tests block every request that leaves the local
server (MathJax from a CDN, for instance), so they run the same without a network.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup
from helpers import ROOT, jb_build, mini_book, output_of

from talkbook.catalog import load_catalog

CATALOG = load_catalog(ROOT / "data")
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
BASEURL = CONFIG["html"]["baseurl"].rstrip("/") + "/"
REPO = CONFIG["repository"]["url"].rstrip("/")
SHOTS = ROOT / "_build" / "screenshots"
PAGES = {
    "home": "book/intro.html",
    "note": "book/notes/deview-2019-day1-memo.html",
    "talk": "talks/deview-2019-ai-suite.html",
    "catalog": "book/catalog.html",
}
# one page of every kind, for the browser checks (external requests, console errors)
PAGE_KINDS = {
    **PAGES,
    "conference": "conferences/deview-2019.html",
    "tag": "tags/index.html",
    "thread": "book/threads/ml-platforms.html",
    "demo-math": "book/demos/amdahl.html",
    "demo-tables": "book/demos/python-profiling.html",
    "demo-itables": "book/demos/catalog-in-numbers.html",
    "glossary": "book/glossary.html",
    "search": "search.html",
}
NOTE_BUDGET_GZIP = 300 * 1024  # a note page's first visit, every resource counted
ATOM = "{http://www.w3.org/2005/Atom}"
SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
MODES = ("light", "dark")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def front_matter(md: Path) -> dict:
    text = md.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1])["talkbook"]


def meta(page: BeautifulSoup, key: str) -> str | None:
    tag = page.find("meta", attrs={"property": key}) or page.find("meta", attrs={"name": key})
    return tag["content"] if tag else None


@pytest.fixture(scope="module")
def all_pages(built_book: Path) -> dict[str, BeautifulSoup]:
    """Every HTML page of the book (not _static), parsed once for the tests that scan them all."""
    return {
        html.relative_to(built_book).as_posix(): soup(html)
        for html in sorted(built_book.rglob("*.html"))
        if not html.relative_to(built_book).as_posix().startswith("_")
    }


# --------------------------------------------------------------------------- sharing


def test_note_page_sharing_tags(built_book: Path) -> None:
    page = soup(built_book / PAGES["note"])
    fm = front_matter(ROOT / "book/notes/deview-2019-day1-memo.md")
    title = page.find("h1").get_text(" ", strip=True).rstrip("#").strip()
    assert meta(page, "og:title") == title
    assert meta(page, "og:description") == fm["description"]
    assert meta(page, "description") == fm["description"]
    assert meta(page, "og:url") == BASEURL + PAGES["note"]
    assert meta(page, "og:type") == "article"
    assert meta(page, "og:site_name") == CONFIG["title"]
    assert meta(page, "og:locale") == "ko_KR"
    assert meta(page, "twitter:card") == "summary"
    assert page.find("link", rel="canonical")["href"] == BASEURL + PAGES["note"]
    assert len(page.find_all("meta", attrs={"name": "description"})) == 1


def test_generated_talk_page_sharing_tags(built_book: Path) -> None:
    page = soup(built_book / PAGES["talk"])
    talk = CATALOG.talk("deview-2019-ai-suite")
    assert meta(page, "og:title") == talk["title"]
    assert meta(page, "og:description") == talk["summary"]
    assert meta(page, "description") == talk["summary"]
    assert meta(page, "og:url") == BASEURL + PAGES["talk"]
    assert meta(page, "twitter:card") == "summary"
    assert page.find("link", rel="canonical")["href"] == BASEURL + PAGES["talk"]


def test_every_page_has_title_and_description(all_pages: dict[str, BeautifulSoup]) -> None:
    skip = (
        "search.html",
        "genindex.html",
        "404.html",
        "index.html",
        "catalog.html",
        "contents.html",
    )
    missing = [
        rel
        for rel, page in all_pages.items()
        if rel not in skip and not (meta(page, "og:title") and meta(page, "og:url"))
    ]
    assert not missing, f"pages without og:title/og:url: {missing[:10]}"


# ---------------------------------------------------------------- sitemap, 404, redirects


def test_sitemap_lists_notes_and_generated_pages(built_book: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(built_book / "sitemap.xml").getroot()
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    assert locs and all(loc.startswith(BASEURL) for loc in locs)
    rel = {loc[len(BASEURL) :] for loc in locs}
    assert len(rel) == len(locs), "duplicate sitemap entries"
    for path in rel:  # every entry is a real page
        assert (built_book / path).is_file(), path
    assert {f"talks/{t}.html" for t in CATALOG.talk_ids} <= rel
    assert {f"conferences/{c}.html" for c in CATALOG.conferences["id"]} <= rel
    assert {f"tags/{t}.html" for t in CATALOG.tags["id"]} | {"tags/index.html"} <= rel
    notes = {f"book/notes/{p.stem}.html" for p in (ROOT / "book" / "notes").glob("*.md")}
    assert notes <= rel
    assert not rel & {"search.html", "genindex.html", "404.html", "catalog.html"}


def test_404_page_links_work_at_any_depth(built_book: Path) -> None:
    page = soup(built_book / "404.html")
    assert "찾을 수 없습니다" in page.select_one("article h1").get_text()
    assert meta(page, "robots") == "noindex"
    prefix = urlparse(BASEURL).path
    for tag in page.find_all(["a", "link", "script", "img"]):
        url = tag.get("href") or tag.get("src")
        if not url or url.startswith(("#", "http:", "https:", "mailto:", "data:")):
            continue
        assert url.startswith(prefix), f"relative link in 404.html: {url}"
        target = built_book / unquote(url[len(prefix) :].split("#")[0].split("?")[0])
        assert target.exists(), url


def test_redirect_map(built_book: Path) -> None:
    """data/redirects.csv: catalog.html (a short link) forwards to book/catalog.html."""
    stub = built_book / "catalog.html"
    assert stub.is_file()
    text = stub.read_text(encoding="utf-8")
    assert 'url=book/catalog.html"' in text and 'lang="ko"' in text


def test_redirects_are_checked(tmp_path: Path) -> None:
    """A redirect that would hide a live page, or points nowhere, fails the strict build."""
    book = mini_book(
        tmp_path / "book",
        {"book/intro": "# 처음\n\n본문.\n", "book/new-name": "# 새 이름\n\n본문.\n"},
    )
    data = book / "data"
    (data / "redirects.csv").write_text(
        "from,to\nbook/old-name,book/new-name\nbook/older,book/old-name\n"
        "book/intro,book/new-name\nbook/gone,book/nowhere\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = jb_build(book, out)
    log = output_of(result)
    assert result.returncode != 0
    assert "redirects.csv:4: 'book/intro' is a live page" in log
    assert "redirects.csv:5: redirect target 'book/nowhere'" in log
    html = out / "_build" / "html" / "book"
    assert 'url=new-name.html"' in (html / "old-name.html").read_text(encoding="utf-8")
    assert 'url=new-name.html"' in (html / "older.html").read_text(
        encoding="utf-8"
    )  # rename of a rename
    assert "<h1>처음" in (html / "intro.html").read_text(encoding="utf-8").replace("\n", "")


# --------------------------------------------------------------------------- page furniture


def test_note_page_shows_source_date_and_neighbours(built_book: Path) -> None:
    page = soup(built_book / PAGES["note"])
    source = page.find(class_="talkbook-page-source")
    links = {a.get_text(strip=True): a["href"] for a in source.find_all("a")}
    path = "book/notes/deview-2019-day1-memo.md"
    assert links[path] == f"{REPO}/blob/main/{path}"
    assert links["고치기"] == f"{REPO}/edit/main/{path}"
    assert links["이슈 열기"].startswith(f"{REPO}/issues/new?title=")
    crumbs = [li.get_text(strip=True) for li in page.select(".talkbook-breadcrumbs li")]
    assert crumbs == ["홈", "NAVER DEVIEW 2019", "DEVIEW 2019 1일차 세션 메모"]
    assert page.select_one(".prev-next-area a.left-prev") and page.select_one(
        ".prev-next-area a.right-next"
    )
    if (ROOT / ".git").exists():  # dates come from git; a copy without history shows none
        text = " ".join(page.get_text(" ").split())
        assert re.search(r"마지막 수정: \d{4}년 \d{1,2}월 \d{1,2}일", text)


def test_generated_pages_have_site_navigation(built_book: Path) -> None:
    page = soup(built_book / PAGES["talk"])
    nav = page.select_one(".bd-header .talkbook-nav")
    hrefs = {a.get_text(strip=True): a["href"] for a in nav.find_all("a")}
    assert hrefs["발표 카탈로그"] == "../book/catalog.html"
    assert hrefs["태그"] == "../tags/index.html"
    assert hrefs["NAVER DEVIEW 2019"] == "../conferences/deview-2019.html"
    assert any(h.startswith("../book/threads/") for h in hrefs.values())
    assert page.select_one("nav.bd-docs-nav")  # the book's table of contents, as on notes
    crumbs = [li.get_text(strip=True) for li in page.select(".talkbook-breadcrumbs li")]
    assert crumbs[:3] == ["홈", "발표 카탈로그", "NAVER DEVIEW 2019"]
    toc = [a["href"] for a in page.select("#pst-page-toc-nav a")]
    assert "#covered-in" in toc
    assert page.select_one(".prev-next-area a.left-prev") and page.select_one(
        ".prev-next-area a.right-next"
    )
    source = page.find(class_="talkbook-page-source")
    assert "data/talks.csv" in source.get_text()


def test_images_have_alt_text_and_headings_are_in_order(
    all_pages: dict[str, BeautifulSoup],
) -> None:
    problems = []
    for rel, page in all_pages.items():
        for img in page.find_all("img"):
            alt = (img.get("alt") or "").strip()
            if not alt or re.search(r"\.(png|jpe?g|svg|gif|webp)$", alt):
                problems.append(f"{rel}: <img src={img.get('src')}> alt={alt!r}")
        article = page.select_one("article")
        if article is None:
            continue
        levels = [int(h.name[1]) for h in article.find_all(re.compile(r"^h[1-6]$"))]
        if levels.count(1) != 1:
            problems.append(f"{rel}: {levels.count(1)} h1 in the article")
        for a, b in zip(levels, levels[1:], strict=False):
            if b > a + 1:
                problems.append(f"{rel}: heading h{a} followed by h{b}")
    assert not problems, "\n".join(problems[:20])


# --------------------------------------------------------------------------- browser

pytest_browser = pytest.mark.browser


def new_context(browser, served_book: str, screen: str, mode: str):
    context = browser.new_context(viewport=SCREENS[screen], color_scheme=mode)
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(served_book) else route.abort()
        ),
    )
    return context


def rendering_fonts(context, pg, selector: str) -> list[str]:
    """The fonts Chromium actually used to draw the first Hangul text under *selector*
    (DevTools' CSS.getPlatformFontsForNode), not what the stylesheet asks for."""
    handle = pg.evaluate_handle(
        f"""[...document.querySelectorAll({selector!r})]
              .find(e => /[가-힣]/.test(e.textContent) && e.offsetParent)"""
    )
    assert handle.as_element(), f"no visible Hangul text under {selector}"
    cdp = context.new_cdp_session(pg)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        doc = cdp.send("DOM.getDocument", {"depth": 0})
        pg.evaluate("e => e.setAttribute('data-font-probe', '1')", handle)
        node = cdp.send(
            "DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": "[data-font-probe]"}
        )["nodeId"]
        # the text node's fonts: the element's own run of Hangul
        child = cdp.send("DOM.describeNode", {"nodeId": node, "depth": 1})["node"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        if not fonts and child.get("children"):
            fonts = cdp.send(
                "CSS.getPlatformFontsForNode", {"nodeId": child["children"][0]["nodeId"]}
            )["fonts"]
        pg.evaluate("e => e.removeAttribute('data-font-probe')", handle)
        return [f["familyName"] for f in fonts if f.get("glyphCount", 0) > 0]
    finally:
        cdp.detach()


def korean_font(family: str) -> bool:
    """A family that has Hangul: one of the Korean families talkbook.css asks for."""
    return bool(re.search(r"CJK|Nanum|Gothic|Malgun|Apple SD|Noto Sans KR", family, re.I))


def open_page(pg, url: str) -> None:
    pg.goto(url, wait_until="load")
    pg.evaluate("document.fonts.ready.then(() => true)")
    # the theme fades colours in when the page's mode is applied: on a loaded machine axe
    # could measure contrast mid-transition, so wait for finite animations to end
    pg.evaluate(
        """Promise.all(document.getAnimations()
             .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
             .map(a => a.finished.catch(() => null))).then(() => true)"""
    )


@pytest_browser
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screens(browser, served_book: str, screen: str, mode: str) -> None:
    """Screenshots for review; nothing may overflow sideways on a phone; Hangul has a font."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = new_context(browser, served_book, screen, mode)
    pg = context.new_page()
    try:
        for name, path in PAGES.items():
            open_page(pg, f"{served_book}/{path}")
            assert pg.evaluate("document.documentElement.dataset.theme") == mode
            pg.screenshot(path=str(SHOTS / f"{name}-{screen}-{mode}.png"))
            scroll, inner = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner, (
                f"{path} overflows sideways at {SCREENS[screen]['width']}px: {scroll} > {inner}"
            )
            # the font that drew the Hangul, and one the stylesheet names (not a system fallback)
            fonts = rendering_fonts(context, pg, "article p")
            declared = pg.evaluate(
                "getComputedStyle(document.querySelector('article p')).fontFamily"
            )
            assert any(korean_font(f) and f in declared for f in fonts), (
                f"{path}: Hangul drawn with {fonts}, the stylesheet asks for {declared}"
            )
    finally:
        context.close()


@pytest_browser
@pytest.mark.parametrize("mode", MODES)
def test_no_serious_accessibility_violations(browser, served_book: str, mode: str) -> None:
    """axe-core (bundled by axe-playwright-python) on each page, light and dark."""
    from axe_playwright_python.base import AXE_SCRIPT

    context = new_context(browser, served_book, "desktop", mode)
    pg = context.new_page()
    found = []
    try:
        for path in PAGES.values():
            open_page(pg, f"{served_book}/{path}")
            pg.evaluate(AXE_SCRIPT)
            result = pg.evaluate("axe.run(document, {resultTypes: ['violations']})")
            for v in result["violations"]:
                if v["impact"] in ("serious", "critical"):
                    targets = [n["target"] for n in v["nodes"][:3]]
                    found.append(
                        f"{path} [{mode}] {v['id']} ({v['impact']}, {len(v['nodes'])}×): {targets}"
                    )
    finally:
        context.close()
    assert not found, "\n".join(found)


@pytest_browser
def test_keyboard_reaches_navigation_and_search(browser, served_book: str) -> None:
    context = new_context(browser, served_book, "desktop", "light")
    pg = context.new_page()
    try:
        open_page(pg, f"{served_book}/{PAGES['note']}")
        seen = []
        for _ in range(25):
            pg.keyboard.press("Tab")
            seen.append(
                pg.evaluate("(document.activeElement.textContent || '').trim().slice(0, 40)")
            )
            if pg.evaluate("document.activeElement.matches('.bd-header .search-button__button')"):
                break
        assert "본문으로 건너뛰기" in seen[0]
        assert "발표 카탈로그" in seen and "행사" in seen
        assert pg.evaluate("document.activeElement.matches('.bd-header .search-button__button')"), (
            seen
        )
        pg.keyboard.press("Enter")
        pg.wait_for_selector("#pst-search-dialog[open], .search-button__wrapper.show", timeout=5000)
        pg.keyboard.type("쿠버네티스")
        assert pg.evaluate("document.activeElement.name") == "q"
    finally:
        context.close()


@pytest_browser
def test_phone_menu_opens_from_keyboard(browser, served_book: str) -> None:
    """On a phone the article-header menu button opens the drawer with the site navigation."""
    context = new_context(browser, served_book, "phone", "light")
    pg = context.new_page()
    try:
        open_page(pg, f"{served_book}/{PAGES['talk']}")
        button = pg.locator(".bd-header-article .primary-toggle")
        button.focus()
        pg.keyboard.press("Enter")
        pg.wait_for_selector("#pst-primary-sidebar-modal[open]", timeout=5000)
        links = pg.locator(
            "#pst-primary-sidebar-modal .talkbook-nav a.nav-link", has_text="발표 카탈로그"
        )
        assert links.first.is_visible()
        pg.screenshot(path=str(SHOTS / "menu-phone-light.png"))
    finally:
        context.close()


class _SitePrefixHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the book under /<site path>/ and answers missing pages with 404.html, like a
    static host (GitHub Pages) does."""

    prefix = "/"

    def log_message(self, *args: object) -> None:
        pass

    def translate_path(self, path: str) -> str:
        if path.startswith(self.prefix):
            path = "/" + path[len(self.prefix) :]
        return super().translate_path(path)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.exists():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def hosted_book(built_book: Path) -> Iterator[tuple[str, str]]:
    """(origin, site URL): the book served under html.baseurl's path, 404.html for misses."""
    prefix = urlparse(BASEURL).path
    handler = type("Handler", (_SitePrefixHandler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(built_book))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    yield origin, origin + prefix
    server.shutdown()


@pytest_browser
def test_404_page_is_styled_deep_in_the_site(browser, hosted_book: tuple[str, str]) -> None:
    origin, site = hosted_book
    context = new_context(browser, origin, "desktop", "light")
    pg = context.new_page()
    try:
        response = pg.goto(f"{site}no/such/deep/page.html", wait_until="load")
        assert response is not None and response.status == 404
        assert "찾을 수 없습니다" in pg.locator("article h1").first.inner_text()
        # the theme's stylesheet loaded from the site root, so its variables resolve here too
        primary = (
            "getComputedStyle(document.documentElement).getPropertyValue('--pst-color-primary')"
        )
        assert pg.evaluate(primary).strip()
        href = pg.locator(".bd-header .talkbook-nav a", has_text="발표 카탈로그").get_attribute(
            "href"
        )
        assert href == urlparse(BASEURL).path + PAGES["catalog"]
        assert pg.request.get(origin + href).status == 200
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SHOTS / "404-desktop-light.png"))
    finally:
        context.close()


def _social_cards_module(ogp_social_cards: str) -> list[str]:
    """Load talkbook.meta in a fresh interpreter; report matplotlib and opengraph's card code."""
    code = f"""
import sys, tempfile, pathlib
from sphinx.application import Sphinx
src = pathlib.Path(tempfile.mkdtemp())
(src / "conf.py").write_text('project = "t"\\n' + {ogp_social_cards!r}, encoding="utf-8")
(src / "index.rst").write_text("T\\n=\\n\\nx\\n", encoding="utf-8")
from talkbook import meta
app = Sphinx(str(src), str(src), str(src / "_b"), str(src / "_b/.d"), "html",
             status=None, warning=None)
meta.setup_opengraph(app)
import sphinxext.opengraph as og
loaded = "matplotlib" in sys.modules
from sphinxext.opengraph import _social_cards as real
print(loaded, og.create_social_card is real.create_social_card,
      og.DEFAULT_SOCIAL_CONFIG == real.DEFAULT_SOCIAL_CONFIG)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_opengraph_without_social_cards_does_not_import_matplotlib() -> None:
    # cards off (the default): opengraph's card module, and matplotlib (~1 s), stay unloaded
    # until asked for; the stand-in has the same defaults as the real module
    assert _social_cards_module("") == ["False", "False", "True"]
    # a book that turns cards on gets opengraph's own module
    assert _social_cards_module('ogp_social_cards = {"enable": True}\n') == [
        "True",
        "True",
        "True",
    ]


@pytest.mark.slow
def test_incremental_build_keeps_every_document_in_the_sitemap(tmp_path: Path) -> None:
    """sphinx-sitemap lists the pages a build writes; an edit that writes one page must not
    leave the others out (talkbook.meta.complete_sitemap)."""
    pages = {
        "book/intro": "# 홈\n\n시험용 책.\n",
        "book/a": "# 가\n\n본문.\n",
        "book/b": "# 나\n\n본문.\n",
        "book/c": "# 다\n\n본문.\n",
    }
    src, out = mini_book(tmp_path / "src", pages), tmp_path / "out"
    html = out / "_build" / "html"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}

    def sitemap() -> list[str]:
        root = ET.parse(html / "sitemap.xml").getroot()
        return sorted(u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns))

    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-3000:]
    full = sitemap()
    assert {f"{BASEURL}{d}.html" for d in pages} <= set(full)
    (src / "book/b.md").write_text("# 나\n\n고친 본문.\n", encoding="utf-8")
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-3000:]
    assert sitemap() == full  # same entries, none twice


# --------------------------------------------------------------------------- light and offline


class Visit:
    """One page load in a fresh (cold-cache) context: what it fetched, from where, and what
    the console said. Requests leaving the local server are blocked and recorded."""

    def __init__(self, browser, served_book: str, path: str, screen: str = "desktop") -> None:
        self.external: list[str] = []
        self.errors: list[str] = []
        self.local: list[str] = []
        context = browser.new_context(viewport=SCREENS[screen])
        context.add_init_script("localStorage.setItem('mode', 'light');")

        def route(r) -> None:
            if r.request.url.startswith(served_book):
                self.local.append(r.request.url)
                r.continue_()
            elif r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.external.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        pg = context.new_page()
        target = f"{served_book}/{path}"

        def console(m) -> None:
            # a missing URL answered with the 404 page logs that status for the page itself
            if m.type == "error" and m.location.get("url") != target:
                self.errors.append(f"{m.text} ({m.location.get('url')})")

        pg.on("console", console)
        pg.on("pageerror", lambda e: self.errors.append(str(e)))
        try:
            pg.goto(target, wait_until="networkidle")
        finally:
            context.close()

    def gzip_bytes(self, root: Path) -> tuple[int, list[tuple[int, str]]]:
        """Total gzip size of every local resource fetched (what a compressing host sends)."""
        sizes = []
        for url in dict.fromkeys(self.local):
            rel = unquote(urlparse(url).path).lstrip("/") or "index.html"
            file = root / rel
            if file.is_file():
                sizes.append((len(gzip.compress(file.read_bytes(), 6)), rel))
        return sum(s for s, _ in sizes), sorted(sizes, reverse=True)


@pytest.fixture(scope="module")
def visits(browser, served_book: str, hosted_book: tuple[str, str]) -> dict[str, Visit]:
    """Each kind of page, loaded once with a cold cache; the 404 page as a static host
    serves it for a missing URL under the site's path."""
    out = {kind: Visit(browser, served_book, path) for kind, path in PAGE_KINDS.items()}
    origin, site = hosted_book
    out["404"] = Visit(browser, origin, site[len(origin) + 1 :] + "no/such/deep/page.html")
    return out


@pytest_browser
def test_no_page_requests_anything_outside_the_site(visits: dict[str, Visit]) -> None:
    leaks = {kind: v.external for kind, v in visits.items() if v.external}
    assert not leaks, f"requests leaving the site: {leaks}"


@pytest_browser
def test_no_console_errors_on_any_page_kind(visits: dict[str, Visit]) -> None:
    errors = {kind: v.errors for kind, v in visits.items() if v.errors}
    assert not errors, f"console errors: {errors}"


@pytest_browser
def test_note_page_first_visit_fits_the_budget(visits: dict[str, Visit], built_book: Path) -> None:
    total, biggest = visits["note"].gzip_bytes(built_book)
    assert total <= NOTE_BUDGET_GZIP, (
        f"a note page's first visit is {total / 1024:.0f} KB gzip (budget "
        f"{NOTE_BUDGET_GZIP // 1024} KB); largest: {biggest[:5]}"
    )
    assert not any("fontawesome.js" in url for url in visits["note"].local)


@pytest_browser
def test_plain_page_fetches_nothing_for_search(visits: dict[str, Visit]) -> None:
    fetched = [u for u in visits["note"].local if re.search(r"search(index|tools)", u)]
    assert not fetched, fetched


def test_icon_fonts_are_trimmed_and_no_icon_script_is_loaded(
    built_book: Path, all_pages: dict[str, BeautifulSoup]
) -> None:
    fonts = sorted((built_book / "_static/vendor/fontawesome/webfonts").glob("*.woff2"))
    assert fonts and all(f.stat().st_size < 20_000 for f in fonts), [
        (f.name, f.stat().st_size) for f in fonts
    ]
    loading = [
        rel for rel, page in all_pages.items() if page.find("script", src=re.compile("fontawesome"))
    ]
    assert not loading, f"pages loading fontawesome.js: {loading[:5]}"


def test_math_is_mathml_and_only_on_pages_with_math(all_pages: dict[str, BeautifulSoup]) -> None:
    demo = all_pages["book/demos/amdahl.html"]
    assert demo.select("div.math math[display=block]") and demo.select("span.math math")
    note = all_pages[PAGES["note"]]
    assert note.select("span.math math"), "the note's inline $p$ is not rendered"
    for rel, page in all_pages.items():
        text = page.select_one("article").get_text(" ") if page.select_one("article") else ""
        assert "$$" not in text and "\\frac" not in text, f"raw TeX in {rel}"
        assert not page.find("script", src=re.compile("mathjax", re.I)), f"MathJax on {rel}"
        assert "MathJax" not in str(page.find("head")), f"MathJax configuration on {rel}"


@pytest_browser
def test_korean_text_breaks_between_words(browser, served_book: str) -> None:
    """keep-all on Korean text (article, sidebar, page contents); nothing breaks mid-word."""
    context = new_context(browser, served_book, "desktop", "light")
    pg = context.new_page()
    try:
        open_page(pg, f"{served_book}/{PAGES['note']}")
        styles = pg.evaluate(
            """['article p', '.bd-sidebar-primary a', '.bd-toc-nav a', 'table td']
                 .map(sel => [...document.querySelectorAll(sel)]
                   .find(e => /[가-힣]/.test(e.textContent)))
                 .filter(Boolean)
                 .map(e => [e.tagName, getComputedStyle(e).wordBreak,
                            getComputedStyle(e).overflowWrap])"""
        )
        assert len(styles) >= 3, styles
        assert all(wb == "keep-all" and ow != "anywhere" for _, wb, ow in styles), styles
    finally:
        context.close()


@pytest_browser
def test_phone_breadcrumb_is_readable(browser, served_book: str) -> None:
    context = new_context(browser, served_book, "phone", "light")
    pg = context.new_page()
    try:
        open_page(pg, f"{served_book}/{PAGES['note']}")
        crumb = pg.locator(".talkbook-breadcrumbs .breadcrumb-item:visible").last
        assert crumb.inner_text().strip().endswith("NAVER DEVIEW 2019")
        cut = crumb.evaluate("e => e.scrollWidth > e.clientWidth + 1")
        assert not cut, "the phone breadcrumb is cut"
    finally:
        context.close()


@pytest_browser
def test_catalog_uses_the_page_width(browser, served_book: str) -> None:
    context = new_context(browser, served_book, "desktop", "light")
    pg = context.new_page()
    try:
        open_page(pg, f"{served_book}/{PAGES['catalog']}")
        table, main = pg.evaluate(
            """[document.querySelector('table.talkbook-catalog').getBoundingClientRect().width,
                document.querySelector('.bd-main').getBoundingClientRect().width]"""
        )
        assert table >= 0.85 * main - 64, (table, main)
        height = pg.evaluate("document.querySelector('table.talkbook-catalog').offsetHeight")
        assert height / len(CATALOG.talk_ids) <= 90, f"{height}px for {len(CATALOG.talk_ids)} talks"
    finally:
        context.close()


# --------------------------------------------------------------------------- data out


def test_catalog_json_lists_every_talk_with_its_pages(built_book: Path) -> None:
    data = json.loads((built_book / "catalog.json").read_text(encoding="utf-8"))
    talks = {t["id"]: t for t in data["talks"]}
    assert list(talks) == list(CATALOG.talk_ids)
    covered = 0
    for talk_id, t in talks.items():
        row = CATALOG.talk(talk_id)
        assert t["title"] == row["title"] and t["title_en"] == row["title_en"]
        assert t["conference"]["id"] == row["conference"]
        assert [tag["id"] for tag in t["tags"]] == [x for x in row["tags"].split(";") if x]
        assert t["url"] == f"{BASEURL}talks/{talk_id}.html"
        for note in t["notes"]:
            covered += 1
            path, _, anchor = note["url"][len(BASEURL) :].partition("#")
            page = soup(built_book / path)
            assert anchor and page.find(id=anchor), note["url"]
    assert covered > 0
    assert {n["id"] for n in data["notes"]} == {
        f"book/notes/{p.stem}" for p in (ROOT / "book/notes").glob("*.md")
    }
    for name in data["data_files"]:  # the CSV copies the notebooks read
        assert (built_book / "data" / name).read_bytes() == (ROOT / "data" / name).read_bytes()


def test_talk_and_note_pages_carry_json_ld(all_pages: dict[str, BeautifulSoup]) -> None:
    def ld(page: BeautifulSoup) -> dict:
        scripts = page.find_all("script", type="application/ld+json")
        assert len(scripts) == 1
        return json.loads(scripts[0].string)

    for talk_id in CATALOG.talk_ids:
        event = ld(all_pages[f"talks/{talk_id}.html"])
        row = CATALOG.talk(talk_id)
        assert event["@type"] == "Event" and event["name"] == row["title"]
        assert event["url"] == f"{BASEURL}talks/{talk_id}.html"
        assert event["superEvent"]["name"] == CATALOG.conference(row["conference"])["name"]
        speakers = [s for s in row["speakers"].split(";") if s]
        assert [p["name"] for p in event.get("performer", [])] == speakers
    article = ld(all_pages[PAGES["note"]])
    fm = front_matter(ROOT / "book/notes/deview-2019-day1-memo.md")
    assert article["@type"] == "Article" and article["description"] == fm["description"]
    assert article["datePublished"] == str(fm["date"])
    assert {a["url"] for a in article["about"]} == {f"{BASEURL}talks/{t}.html" for t in fm["talks"]}


def test_atom_feed_lists_notes_newest_first(
    built_book: Path, all_pages: dict[str, BeautifulSoup]
) -> None:
    feed = ET.parse(built_book / "atom.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    notes = sorted((ROOT / "book/notes").glob("*.md"))
    assert len(entries) == len(notes)
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert {u[len(BASEURL) :] for u in links} == {f"book/notes/{p.stem}.html" for p in notes}

    def when(e: ET.Element) -> str:
        return (e.findtext(f"{ATOM}published") or e.findtext(f"{ATOM}updated"))[:10]

    dates = [when(e) for e in entries]
    assert dates == sorted(dates, reverse=True)
    for e in entries:
        assert e.findtext(f"{ATOM}title") and e.findtext(f"{ATOM}summary")
    missing = [
        rel
        for rel, page in all_pages.items()
        if rel != "404.html"
        and not page.find("meta", attrs={"http-equiv": re.compile("refresh", re.I)})  # redirects
        and not (
            (link := page.find("link", rel="alternate", type="application/atom+xml"))
            and (built_book / rel).parent.joinpath(link["href"]).resolve()
            == (built_book / "atom.xml").resolve()
        )
    ]
    assert not missing, f"pages without a working feed link: {missing[:5]}"


# --------------------------------------------------------------------------- notebooks


def test_demos_are_published_as_notebooks(built_book: Path) -> None:
    import nbformat

    demos = sorted((ROOT / "book/demos").glob("*.md"))
    for md in demos:
        nb = nbformat.read(built_book / "book/demos" / f"{md.stem}.ipynb", as_version=4)
        assert nb.cells[0].cell_type == "code" and "pip" in nb.cells[0].source
        assert any(c.cell_type == "markdown" and c.source.startswith("# ") for c in nb.cells)
    page = soup(built_book / "book/demos/amdahl.html")
    launch = [a["href"] for a in page.select(".dropdown-launch-buttons a")]
    assert not any(".md" in u and "colab" in u for u in launch), launch
    downloads = [a["href"] for a in page.select(".dropdown-download-buttons a")]
    assert "amdahl.ipynb" in downloads, downloads  # the published notebook, beside the page


@pytest.mark.slow
def test_downloaded_catalog_notebook_runs_on_its_own(
    built_book: Path, served_book: str, tmp_path: Path
) -> None:
    """The published catalog-in-numbers.ipynb, alone in an empty folder, reads the site's
    copies of the catalog (served locally here instead of the published book)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(built_book / "book/demos/catalog-in-numbers.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace(BASEURL, served_book + "/")
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = " ".join(
        str(o.get("text", "")) + json.dumps(o.get("data", {}))
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    assert "Error" not in outputs
    assert not list(tmp_path.iterdir()), "the notebook wrote into its folder"


# --------------------------------------------------------------------------- first contribution


def test_contributing_quick_start_new_note_works_on_a_fresh_clone(tmp_path: Path) -> None:
    """The quick start's `talkbook new` line, verbatim, in a fresh clone."""
    if not (ROOT / ".git").exists():
        pytest.skip("needs the repository's history to clone")
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    command = re.search(r"^\.venv/bin/talkbook (new .*?)(?<!\\)$", block, re.M | re.S)
    assert command, "no `talkbook new` line in the quick start"
    args = command[1].replace("\\\n", " ").split()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    result = subprocess.run(
        [sys.executable, "-m", "talkbook.cli", *args],
        cwd=clone,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    slug = args[args.index("--slug") + 1]
    assert (clone / "book/notes" / f"{slug}.md").is_file()
    assert f"book/notes/{slug}" in (clone / "_toc.yml").read_text(encoding="utf-8")


def test_make_serve_takes_the_next_port_when_its_port_is_busy(tmp_path: Path) -> None:
    """The server `make serve` runs (the Makefile's SERVE_PY), with its port taken."""
    import socket
    import time

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    code = makefile.split("define SERVE_PY\n", 1)[1].split("\nendef", 1)[0]
    (tmp_path / "index.html").write_text("<p>ok</p>", encoding="utf-8")
    busy = socket.create_server(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-u", "-c", code, "127.0.0.1", str(port), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("served at" in x for x in lines):
            lines.append(proc.stdout.readline())
        out = "".join(lines)
        assert f"Port {port} is in use" in out and "Traceback" not in out, out
        url = re.search(r"served at (http://\S+)", out)[1]
        from urllib.request import urlopen

        with urlopen(url + "index.html", timeout=5) as response:
            assert response.read() == b"<p>ok</p>"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        busy.close()
    assert "Traceback" not in proc.stderr.read()


def test_math_the_build_cannot_render_is_reported_at_its_line(tmp_path: Path) -> None:
    """Unreadable TeX fails the strict build with the page and line, and shows as code;
    a page without math carries no math script at all."""
    book = mini_book(
        tmp_path / "book",
        {
            "book/intro": "# 처음\n\n수식 없는 쪽.\n",
            "book/math": "# 수식\n\n좋은 식 $a^2 + b^2 = c^2$.\n\n나쁜 식 $\\frac{1}{$ 이다.\n",
        },
    )
    out = tmp_path / "out"
    result = jb_build(book, out)
    log = output_of(result)
    assert result.returncode != 0
    assert re.search(r"book/math\.md:5: WARNING: math the build cannot render", log), log[-3000:]
    assert "Traceback" not in log
    html = out / "_build" / "html" / "book"
    page = soup(html / "math.html")
    assert page.select("span.math math") and page.select("code.talkbook-math-error")
    intro = (html / "intro.html").read_text(encoding="utf-8")
    assert "MathJax" not in intro and "<math" not in intro
