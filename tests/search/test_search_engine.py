"""talkbook.search's engine on a small book built in-process (plain Sphinx, the book's
theme, ``language = "ko"``, no catalog), driven in Chromium: compound split, typos,
variants, unknown words, ranking order, form controls left out, and lazy loading
(nothing of the search is fetched before the search box is used).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import serve
from test_stemmer import sphinx_app

from talkbook.search import engine
from talkbook.search.engine import PageTerms, html_text, load_variants, read_index

FILLER = "이 문단은 길이를 맞추려고 넣은 평범한 문장이다. " * 6

PAGES = {
    "index": "홈\n==\n\n.. toctree::\n\n   kafka\n   versions\n   editor\n   order-b\n"
    "   order-a\n   mention\n   catalog\n   words\n   tag-partition\n\n"
    "쿠버네티스를 쓰는 팀의 기록.\n",
    "kafka": "카프카 컨슈머\n=============\n\n카프카 컨슈머를 늘렸다. 파티션을 나눴다.\n",
    "versions": "버전 관리\n=========\n\n데이터세트 버전 관리 방법. 버전을 올리면 기록이 남는다.\n",
    "editor": "편집기\n======\n\n단축키 목록과 라이선스 안내. JupyterLab 에서 열었다.\n"
    "프로파일러로 시간을 쟀다.\n",
    # the same text: a tie, broken by table-of-contents order (order-b comes first)
    "order-b": f"나중 제목\n=========\n\n동일한 문장에 샤딩이 있다. {FILLER}\n",
    "order-a": f"가장 제목\n=========\n\n동일한 문장에 샤딩이 있다. {FILLER}\n",
    "mention": f"여러 이야기\n===========\n\n{FILLER} 끝에 카프카 한 번. {FILLER}\n",
    # many words: the index is split into several shards
    "words": "낱말 모음\n=========\n\n"
    + " ".join(f"{a}{b}{c}" for a in "가나다라마바" for b in "사아자차카" for c in "타파하")
    + "\n",
    # a tag page: titled with the word, its text mostly links to the pages that cover it
    "tag-partition": "파티션\n======\n\n"
    + "\n".join(f"- :doc:`파티션을 다룬 글 <{d}>`" for d in ("kafka", "mention", "editor"))
    + "\n",
    "catalog": "카탈로그\n========\n\n.. raw:: html\n\n   <form><select><option>파이프라인</option>"
    "<option>데이터베이스</option></select><button>골라보기</button></form>\n\n발표 목록.\n",
}


@pytest.fixture(scope="module")
def fixture_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("engine-src")
    out = src / "_build"
    (src / "conf.py").write_text(
        'project = "t"\nlanguage = "ko"\nextensions = ["talkbook.search"]\n'
        'html_theme = "sphinx_book_theme"\ntalkbook_search_shard_kb = 1\n'
        'talkbook_search_variants_file = "variants.csv"\n',
        encoding="utf-8",
    )
    (src / "variants.csv").write_text("# the book's own\n쿠베,쿠버네티스\n", encoding="utf-8")
    for name, text in PAGES.items():
        (src / f"{name}.rst").write_text(text, encoding="utf-8")
    app = sphinx_app(src, out, freshenv=True)
    app.build()
    assert app.statuscode == 0
    return out


@pytest.fixture(scope="module")
def site(fixture_html: Path) -> Iterator[str]:
    server, url = serve(fixture_html)
    yield url + "/"
    server.shutdown()


def search(page, site: str, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Open the search page for *query*; the ranked page names."""
    page.goto(f"{site}search.html?q={quote(query)}")
    page.wait_for_function("() => window.TalkbookSearch && TalkbookSearch.search")
    urls = page.evaluate(
        "async (q) => (await TalkbookSearch.search(q)).results.map(r => r.url)", query
    )
    return [u.removesuffix(".html") for u in urls]


# --------------------------------------------------------------------------- index
def test_index_written_in_shards_without_searchindex(fixture_html: Path) -> None:
    urls, terms = read_index(fixture_html)
    # Sphinx's index is not fed: an empty stand-in, for its incremental builds
    assert (fixture_html / "searchindex.js").stat().st_size < 2000
    assert len(list((fixture_html / "_static" / "talkbook-search").glob("s[0-9]*.js"))) > 1
    assert urls[0] == "index.html" and "kafka.html" in urls
    assert {urls[i] for i in terms["컨슈머"]} == {"kafka.html"}


def test_form_controls_are_not_indexed(fixture_html: Path) -> None:
    urls, terms = read_index(fixture_html)
    assert "파이프라인데이터베이스" not in terms
    assert "파이프라인" not in terms and "골라보기" not in terms
    assert {urls[i] for i in terms["발표"]} == {"catalog.html"}
    assert html_text("<p>가<b>나</b></p><select><option>다</option></select>") == ["가", "나"]


@pytest.mark.browser
def test_every_term_is_found_in_its_shard(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A shard is one string of sorted lines that the browser bisects: a term of any script
    is found, also where JavaScript's order (UTF-16 code units) differs from code points
    (mathematical letters sort before fullwidth ones in JavaScript, after them in Python)."""
    words = ["alpha", "2024", "가나다", "мир", "漢字", "ｆｕｌｌ", "ｗｉｄｅ", "𝑥𝑦𝑧", "𝑎𝑏", "𝔡𝔢𝔣"]
    words += [f"w{i:03d}" for i in range(300)]
    pages = [
        (f"p{i}", f"p{i}.html", PageTerms(title=f"t{i}", length=1, terms={w: [1, 0, 0, 0, 0]}))
        for i, w in enumerate(words)
    ]
    settings = {"lang": "en", "stopwords": [], "variants": {}}
    assert engine.write_index(tmp_path, pages, settings, 1 << 30)["nshards"] == 1
    folder = tmp_path / engine.OUT_DIR
    engine_js = Path(engine.__file__).parent / "static" / "talkbook-search.js"
    (folder / "talkbook-search.js").write_bytes(engine_js.read_bytes())
    (folder / "stemmer.js").write_text(
        "var Stemmer = function () { this.stemWord = (w) => w; };\n", encoding="utf-8"
    )
    (tmp_path / "search.html").write_text(
        '<!doctype html><meta charset="utf-8"><div id="search-results"></div>'
        "<script>window.TalkbookSearch = {autorun: false};</script>"
        '<script src="_static/talkbook-search/talkbook-search.js"></script>',
        encoding="utf-8",
    )
    server, url = serve(tmp_path)
    try:
        page.goto(url + "/search.html")
        page.wait_for_function("() => window.TalkbookSearch && TalkbookSearch.search")
        found = page.evaluate(
            "async (ws) => { const out = []; for (const w of ws)"
            " out.push((await TalkbookSearch.search(w)).results.map((r) => r.url).join()); "
            "return out; }",
            words,
        )
    finally:
        server.shutdown()
    assert found == [f"p{i}.html" for i in range(len(words))]


def test_variant_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "v.csv"
    bad.write_text("# ok\n라이센스,라이선스\n한칸만\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"v\.csv:3: expected 'variant,canonical'"):
        load_variants(bad)


# --------------------------------------------------------------------------- browser
@pytest.mark.browser
def test_nothing_is_fetched_before_the_search_box_is_used(page, site: str) -> None:  # type: ignore[no-untyped-def]
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(site + "kafka.html")
    page.goto(site + "search.html")
    page.wait_for_load_state("load")
    searchy = [u for u in urls if "search" in u.rsplit("/", 1)[-1] and "search.html" not in u]
    assert searchy == [], searchy
    # typing loads the engine; the query loads meta.js and only the shards it needs
    page.locator('input[name="q"]:visible').first.fill("카프카")
    page.wait_for_function("() => window.TalkbookSearch && TalkbookSearch.search")
    got = page.evaluate("async () => (await TalkbookSearch.search('카프카')).results[0].url")
    assert got == "kafka.html"
    shards = [u for u in urls if re.search(r"/talkbook-search/s\d+\.js$", u)]
    assert 1 <= len(shards) <= 2, shards
    assert not any("searchindex" in u or "searchtools" in u for u in urls)


@pytest.mark.browser
def test_typing_fetches_the_shard_before_the_search(page, site: str) -> None:  # type: ignore[no-untyped-def]
    """While the reader types, the shard of the word so far is fetched (no search yet)."""
    page.goto(site + "search.html")
    page.wait_for_load_state("load")
    box = page.locator('input[name="q"]:visible').first
    box.fill("파")
    page.wait_for_function("() => window.TalkbookSearch && TalkbookSearch.prefetch")
    box.fill("파티")  # an input event the engine sees
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(e => /talkbook-search\\/s\\d+\\.js$/.test(e.name))",
        timeout=10_000,
    )
    assert page.locator("#search-results li").count() == 0


@pytest.mark.browser
def test_first_query_fetches_little(page, site: str, fixture_html: Path) -> None:  # type: ignore[no-untyped-def]
    folder = fixture_html / "_static" / "talkbook-search"
    every = sum(len(gzip.compress(p.read_bytes())) for p in folder.glob("s[0-9]*.js"))
    search(page, site, "컨슈머")
    fetched = page.evaluate("() => TalkbookSearch.bytesLoaded()")
    assert 0 < fetched
    shards = page.evaluate(
        "() => performance.getEntriesByType('resource').filter("
        "e => /talkbook-search\\/s\\d+\\.js/.test(e.name)).length"
    )
    assert shards < len(list(folder.glob("s[0-9]*.js"))), (shards, every)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("버전관리", "versions"),  # joined compound, the text writes 버전 관리
        ("단측키", "editor"),  # one jamo off (단축키)
        ("라이센스", "editor"),  # variant table of the kit (라이선스)
        ("주피터랩", "editor"),  # Korean spelling of JupyterLab
        ("쿠베", "index"),  # the book's own variant file
        ("프로파일링", "editor"),  # the page says 프로파일러
        ("컨슈머를", "kafka"),  # noun + particle
    ],
)
def test_query_analysis(page, site: str, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert search(page, site, query)[:1] == [expected]


@pytest.mark.browser
def test_an_unknown_word_never_empties_the_results(page, site: str) -> None:  # type: ignore[no-untyped-def]
    assert search(page, site, "카프카 전혀없는낱말")[:1] == ["kafka"]


@pytest.mark.browser
def test_ranking_order(page, site: str) -> None:  # type: ignore[no-untyped-def]
    # the page titled 카프카 before the page that mentions it once in a long text
    assert search(page, site, "카프카")[:2] == ["kafka", "mention"]
    # pages holding every word first, then pages holding some
    both = search(page, site, "카프카 파티션")
    assert both[0] == "kafka" and "mention" in both
    # a tie goes to the page met first in the table of contents, not the first title
    # in alphabetical order (가장 제목 < 나중 제목)
    tie = search(page, site, "샤딩")
    assert tie[:2] == ["order-b", "order-a"]
    # a page made of links (a tag page titled 파티션) after the page whose text has the word
    assert search(page, site, "파티션")[:2] == ["kafka", "tag-partition"]


@pytest.mark.browser
def test_results_are_shown_with_title_and_snippet(page, site: str) -> None:  # type: ignore[no-untyped-def]
    # twice: the second time the engine comes from the cache, before the body is parsed
    for query in ("카프카", "컨슈머"):
        page.goto(f"{site}search.html?q={quote(query)}")
        page.wait_for_function(
            "() => { const s = document.querySelector('#search-results p.search-summary');"
            " return !!s && s.innerText.length > 0; }"
        )
    first = page.locator("#search-results ul.search > li").first
    assert first.locator("a").inner_text() == "카프카 컨슈머"
    page.wait_for_function(
        "() => [...document.querySelectorAll('#search-results p.context')]"
        ".some(p => p.textContent.includes('컨슈머'))"
    )


@pytest.mark.browser
def test_sphinx_search_api_still_answers(page, site: str) -> None:  # type: ignore[no-untyped-def]
    """scripts/bench.py times Sphinx's synchronous API on search.html: it keeps working."""
    page.goto(site + "search.html")
    page.wait_for_function("() => typeof Search !== 'undefined' && Search.hasIndex()")
    n = page.evaluate("() => Search._performSearch(...Search._parseQuery('카프카')).length")
    assert n >= 2


@pytest.fixture(scope="module")
def english_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A plain English Sphinx project (default theme): the extension alone."""
    src = tmp_path_factory.mktemp("engine-en")
    (src / "conf.py").write_text(
        'project = "t"\nlanguage = "en"\nextensions = ["talkbook.search"]\n', encoding="utf-8"
    )
    (src / "index.rst").write_text(
        "Home\n====\n\n.. toctree::\n\n   prof\n\nWelcome.\n", encoding="utf-8"
    )
    (src / "prof.rst").write_text(
        "Profilers\n=========\n\nProfiling a Python service with a sampling profiler.\n",
        encoding="utf-8",
    )
    out = src / "_build"
    app = sphinx_app(src, out, freshenv=True)
    app.build()
    assert app.statuscode == 0
    urls, terms = read_index(out)
    assert {urls[i] for i in terms["profil"]} == {"prof.html"}  # porter stems, as Sphinx
    server, url = serve(out)
    yield url + "/"
    server.shutdown()


@pytest.mark.browser
def test_english_book(page, english_site: str) -> None:  # type: ignore[no-untyped-def]
    assert search(page, english_site, "profiling")[:1] == ["prof"]
    assert search(page, english_site, "profilling")[:1] == ["prof"]  # one letter too many
