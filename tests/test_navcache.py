"""talkbook.navcache: the sidebar navigation rendered once per build is the theme's own HTML,
each page carries its own branch, and a toc change rewrites only the pages it shows on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from helpers import jb_build, mini_book, output_of

pytestmark = pytest.mark.slow

PAGES = {
    "book/intro": "# 홈\n\n시험용 책.\n",
    "book/a": "# 가 장\n\n본문. {talk}`deview-2019-ai-suite`\n",
    "book/a1": "# 가 장의 첫 절\n\n## 소제목\n\n본문.\n",
    "book/a2": "# 가 장의 둘째 절\n\n본문.\n",
    "book/deep/b": "# 나 장\n\n본문.\n",
    "book/deep/b1": "# 나 장의 절\n\n본문.\n",
    "book/deep/er/b11": "# 나 장의 절의 절\n\n본문.\n",
    "book/c": "# 다 장\n\n본문.\n",
}
TOC = {
    "format": "jb-book",
    "root": "book/intro",
    "parts": [
        {
            "caption": "첫 부",
            "chapters": [
                {"file": "book/a", "sections": [{"file": "book/a1"}, {"file": "book/a2"}]}
            ],
        },
        {
            "caption": "둘째 부",
            "chapters": [
                {
                    "file": "book/deep/b",
                    "sections": [
                        {"file": "book/deep/b1", "sections": [{"file": "book/deep/er/b11"}]}
                    ],
                },
                {"file": "book/c"},
            ],
        },
    ],
}


def nested_book(dest: Path, check: bool) -> Path:
    src = mini_book(dest, PAGES)
    (src / "_toc.yml").write_text(yaml.safe_dump(TOC, allow_unicode=True), encoding="utf-8")
    cfg = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8"))
    exts = cfg["sphinx"].setdefault("extra_extensions", [])
    if "talkbook.navcache" not in exts:
        exts.append("talkbook.navcache")
    cfg["sphinx"]["config"]["talkbook_navcache_check"] = check
    (src / "_config.yml").write_text(
        yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return src


def sidebar(html: Path, page: str) -> BeautifulSoup:
    soup = BeautifulSoup((html / page).read_text(encoding="utf-8"), "html.parser")
    return soup.select_one("nav.bd-docs-nav")


def test_cached_navigation_is_the_themes(tmp_path: Path) -> None:
    """With the check on, every page's navigation is also rendered by the theme and compared
    byte for byte; any difference is a warning, which fails this strict build."""
    src = nested_book(tmp_path / "src", check=True)
    result = jb_build(src, tmp_path / "out")
    log = output_of(result)
    assert result.returncode == 0, log[-4000:]
    assert "navcache:" not in log.replace("talkbook.navcache:", "")
    assert "reused for" in log  # the cache was actually used


def html_mtimes(html: Path) -> dict[str, int]:
    return {str(p.relative_to(html)): p.stat().st_mtime_ns for p in html.rglob("*.html")}


def test_current_branch_is_marked(tmp_path: Path) -> None:
    """A page carries its own branch (ancestors with their part's caption, siblings,
    children), marked as the theme marks it; the rest is in the shared script."""
    src = nested_book(tmp_path / "src", check=False)
    result = jb_build(src, tmp_path / "out")
    assert result.returncode == 0, output_of(result)[-4000:]
    html = tmp_path / "out" / "_build" / "html"
    nav = sidebar(html, "book/deep/er/b11.html")
    current = [li.a.get_text(strip=True) for li in nav.select("li.current.active")]
    assert current == ["나 장", "나 장의 절", "나 장의 절의 절"]
    assert nav.select_one("a.current")["href"] == "#"
    assert all(d.has_attr("open") for d in nav.select("li.current > details"))
    assert [p.get_text() for p in nav.select("p.caption")] == ["둘째 부"]
    assert nav.find("a", string="다 장") is None  # not on this page's branch
    # a chapter's branch: its siblings, closed, with links relative to the page's folder
    nav = sidebar(html, "book/c.html")
    assert [a.get_text() for a in nav.select("ul.bd-sidenav:not(.bd-sidenav__home-link) a")] == [
        "나 장",
        "다 장",
    ]
    assert nav.find("a", string="나 장")["href"] == "deep/b.html"
    assert not nav.select("details")  # the sibling's children are not in this page
    nav = sidebar(html, "book/a.html")  # the page's children, closed
    assert [a.get_text() for a in nav.select("li.current > details li > a")] == [
        "가 장의 첫 절",
        "가 장의 둘째 절",
    ]
    # every page links the contents page and loads the shared navigation
    contents = nav.select_one("p.talkbook-nav-contents a")
    assert contents["href"] == "../contents.html"
    assert nav.select_one("script")["src"] == "../_static/talkbook-nav-tree.js"
    script = (html / "_static" / "talkbook-nav-tree.js").read_text(encoding="utf-8")
    for title in ("가 장", "가 장의 둘째 절", "나 장의 절의 절", "다 장"):
        assert f">{title}</a>" in script
    whole = BeautifulSoup((html / "contents.html").read_text(encoding="utf-8"), "html.parser")
    links = [a["href"] for a in whole.select("nav.talkbook-nav-contents a")]
    assert links == [
        "book/a.html",
        "book/a1.html",
        "book/a2.html",
        "book/deep/b.html",
        "book/deep/b1.html",
        "book/deep/er/b11.html",
        "book/c.html",
    ]
    # a page that is in no toctree (a generated talk page) has no branch, only the link
    talk = sidebar(html, "talks/deview-2019-ai-suite.html")
    assert not talk.select("li.current") and not talk.select("p.caption")
    assert talk.select_one("p.talkbook-nav-contents a")["href"] == "../contents.html"


def test_kept_navigation_follows_title_changes(tmp_path: Path) -> None:
    """The navigation kept from the last build is used only while nothing it shows changed."""
    src = nested_book(tmp_path / "src", check=True)
    out = tmp_path / "out"
    html = out / "_build" / "html"
    assert jb_build(src, out).returncode == 0
    store = out / "_build" / ".doctrees" / "talkbook-navcache.pickle"
    assert store.is_file()
    page = src / "book" / "c.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n더 쓴 문단.\n", encoding="utf-8")
    result = jb_build(src, out)  # same toc and titles: the kept navigation, checked
    assert result.returncode == 0, output_of(result)[-4000:]
    before = html_mtimes(html)
    page.write_text("# 다 장 (고침)\n\n본문.\n", encoding="utf-8")
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-4000:]
    assert sidebar(html, "book/c.html").find("a", string="다 장 (고침)") is not None
    # its sibling shows the new title; its previous page links it as "next"
    assert sidebar(html, "book/deep/b.html").find("a", string="다 장 (고침)") is not None
    prev = BeautifulSoup(
        (html / "book/deep/er/b11.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert "다 장 (고침)" in prev.select_one("a.right-next").get_text()
    assert "다 장 (고침)" in (html / "_static" / "talkbook-nav-tree.js").read_text(encoding="utf-8")
    after = html_mtimes(html)
    book = {p for p in after if p.startswith("book/") and after[p] != before.get(p)}
    # Sphinx also writes the toctree parents of the pages it reads (c's: the root) but, with
    # ``talkbook.domain.parents_of_read_docs``, not those of pages only written: b11 (its
    # "next" link) keeps its title, so its parent b1 is not written
    assert book == {
        "book/c.html",
        "book/deep/b.html",
        "book/deep/er/b11.html",
        "book/intro.html",
    }
    assert "book/a1.html" not in book and "book/a2.html" not in book


def test_toc_change_rewrites_only_the_pages_it_shows_on(tmp_path: Path) -> None:
    """Adding a page to _toc.yml rewrites the shared navigation, the contents page and the
    pages whose own branch or previous/next links changed, and no other page."""
    src = nested_book(tmp_path / "src", check=True)
    out = tmp_path / "out"
    html = out / "_build" / "html"
    assert jb_build(src, out).returncode == 0
    before = html_mtimes(html)
    result = jb_build(src, out)  # nothing changed: nothing written again
    assert result.returncode == 0, output_of(result)[-4000:]
    assert {p for p, t in html_mtimes(html).items() if p.startswith("book/")} == {
        p for p, t in before.items() if p.startswith("book/")
    }
    assert html_mtimes(html) == {**before, "404.html": html_mtimes(html)["404.html"]}
    (src / "book" / "d.md").write_text("# 라 장\n\n새 본문.\n", encoding="utf-8")
    toc = yaml.safe_load((src / "_toc.yml").read_text(encoding="utf-8"))
    toc["parts"][1]["chapters"].append({"file": "book/d"})
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True), encoding="utf-8")
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-4000:]
    after = html_mtimes(html)
    written = {p for p in after if after[p] != before.get(p)}
    # the root (its toctree changed, so it is read again), the new page, its siblings
    # (one with it as "next"), the contents page: no other page of the book
    assert {p for p in written if p.startswith("book/")} == {
        "book/intro.html",
        "book/d.html",
        "book/c.html",
        "book/deep/b.html",
    }
    assert "contents.html" in written
    assert ">라 장</a>" in (html / "_static" / "talkbook-nav-tree.js").read_text(encoding="utf-8")
    assert sidebar(html, "book/deep/b.html").find("a", string="라 장") is not None
    assert sidebar(html, "contents.html") is not None
    whole = BeautifulSoup((html / "contents.html").read_text(encoding="utf-8"), "html.parser")
    assert whole.select_one("nav.talkbook-nav-contents").find("a", string="라 장")
    c = BeautifulSoup((html / "book" / "c.html").read_text(encoding="utf-8"), "html.parser")
    assert c.select_one("a.right-next")["href"] == "d.html"


PLAIN_BUILD = """
import sys
for name in ("pydata_sphinx_theme", "sphinx_book_theme"):
    sys.modules[name] = None  # as if not installed: importing them raises ImportError
from sphinx.cmd.build import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("cache", ["1", "0"])
def test_plain_sphinx_without_the_themes_builds(tmp_path: Path, cache: str) -> None:
    """A plain Sphinx project (alabaster) loading talkbook.navcache builds strictly, also
    incrementally after a title change, with the pydata themes not installed."""
    import subprocess
    import sys

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["talkbook.navcache"]\nhtml_theme = "alabaster"\n', encoding="utf-8"
    )
    (src / "index.rst").write_text("Home\n====\n\n.. toctree::\n\n   a\n", encoding="utf-8")
    (src / "a.rst").write_text("A\n=\n\ntext\n", encoding="utf-8")
    cmd = [sys.executable, "-c", PLAIN_BUILD, "-W", "-b", "html", "-D"]
    cmd += [f"talkbook_navcache={cache}", str(src), str(tmp_path / "out")]
    for _ in range(2):
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, output_of(result)[-3000:]
        (src / "a.rst").write_text("B\n=\n\ntext\n", encoding="utf-8")
    assert ">B</a>" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
