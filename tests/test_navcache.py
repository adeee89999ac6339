"""talkbook.navcache: the sidebar navigation rendered once per build is the theme's own HTML."""

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


def test_current_branch_is_marked(tmp_path: Path) -> None:
    src = nested_book(tmp_path / "src", check=False)
    result = jb_build(src, tmp_path / "out")
    assert result.returncode == 0, output_of(result)[-4000:]
    html = tmp_path / "out" / "_build" / "html"
    nav = sidebar(html, "book/deep/er/b11.html")
    current = [li.a.get_text(strip=True) for li in nav.select("li.current.active")]
    assert current == ["나 장", "나 장의 절", "나 장의 절의 절"]
    assert nav.select_one("a.current")["href"] == "#"
    assert all(d.has_attr("open") for d in nav.select("li.current > details"))
    # links are relative to the page's folder
    assert nav.find("a", string="다 장")["href"] == "../../c.html"
    # a page that is in no toctree (a generated talk page) has nothing current
    talk = sidebar(html, "talks/deview-2019-ai-suite.html")
    assert (
        not talk.select("li.current") and talk.find("a", string="다 장")["href"] == "../book/c.html"
    )


def test_kept_navigation_follows_title_changes(tmp_path: Path) -> None:
    """The navigation kept from the last build is used only while nothing it shows changed."""
    src = nested_book(tmp_path / "src", check=True)
    out = tmp_path / "out"
    assert jb_build(src, out).returncode == 0
    store = out / "_build" / ".doctrees" / "talkbook-navcache.pickle"
    assert store.is_file()
    page = src / "book" / "c.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n더 쓴 문단.\n", encoding="utf-8")
    result = jb_build(src, out)  # same toc and titles: the kept navigation, checked
    assert result.returncode == 0, output_of(result)[-4000:]
    page.write_text("# 다 장 (고침)\n\n본문.\n", encoding="utf-8")
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-4000:]
    nav = sidebar(out / "_build" / "html", "book/c.html")
    assert nav.find("a", string="다 장 (고침)") is not None
    # a page that was not edited is written again with the new title in its sidebar
    assert sidebar(out / "_build" / "html", "book/a2.html").find("a", string="다 장 (고침)")


def test_incremental_build_puts_an_added_page_in_every_sidebar(tmp_path: Path) -> None:
    """Adding a page to _toc.yml rewrites the pages that were not read again, so their
    navigation (and the previous page's "next" link) shows the new page."""
    src = nested_book(tmp_path / "src", check=True)
    out = tmp_path / "out"
    html = out / "_build" / "html"
    assert jb_build(src, out).returncode == 0
    a1 = html / "book" / "a1.html"
    before = a1.stat().st_mtime_ns
    result = jb_build(src, out)  # nothing changed: nothing written again
    assert result.returncode == 0, output_of(result)[-4000:]
    assert a1.stat().st_mtime_ns == before
    (src / "book" / "d.md").write_text("# 라 장\n\n새 본문.\n", encoding="utf-8")
    toc = yaml.safe_load((src / "_toc.yml").read_text(encoding="utf-8"))
    toc["parts"][1]["chapters"].append({"file": "book/d"})
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True), encoding="utf-8")
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-4000:]
    for page in ("book/a1.html", "book/deep/er/b11.html", "book/intro.html"):
        link = sidebar(html, page).find("a", string="라 장")
        assert link is not None, page
    c = BeautifulSoup((html / "book" / "c.html").read_text(encoding="utf-8"), "html.parser")
    assert c.select_one("a.right-next")["href"] == "d.html"
