"""Unit tests of the Korean search language: the index-side splitter (Python, Kiwi)
and the query-side stemmer (the JS that goes into language_data.js, run in Chromium)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from talkbook.search.korean import SearchKorean
from talkbook.search.stemmer_js import js_korean_stemmer


@pytest.fixture(scope="module")
def lang() -> SearchKorean:
    return SearchKorean({})


def indexed(lang: SearchKorean, text: str) -> set[str]:
    """The terms that IndexBuilder.feed would store for *text* (stem, lower, filter)."""
    out = set()
    for word in lang.split(text):
        stemmed = lang.stem(word).lower()
        if lang.word_filter(stemmed):
            out.add(stemmed)
        elif lang.word_filter(word):
            out.add(word)
    return out


# --------------------------------------------------------------------------- index side
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # particles (조사) after a noun: the bare noun is indexed, the surface too
        ("쿠버네티스를 쓴다", {"쿠버네티스", "쿠버네티스를"}),
        ("쿠버네티스에서는", {"쿠버네티스"}),
        ("파이썬의 속도", {"파이썬"}),
        ("샤딩은 어렵다", {"샤딩"}),
        # an unknown loanword that Kiwi reads together with its particle
        ("카프카 컨슈머를 늘렸다", {"컨슈머", "카프카"}),
        # compound nouns that Kiwi splits are joined again
        ("네임스페이스별로 나눴다", {"네임스페이스", "네임스페이스별"}),
        ("웹뷰가 느리다", {"웹뷰"}),
        ("최적화하는 방법", {"최적화", "방법"}),
        # verb / adjective lemmas
        ("시간을 줄였다", {"줄이다", "줄였다", "시간"}),
        ("모델이 서빙된다", {"서빙", "모델"}),
        # Latin words with particles attached: the Latin word, stemmed like English
        ("HBase에서", {"hbase"}),
        ("k8s를", {"k8"}),  # porter: k8s -> k8, the JS porter stemmer agrees
        ("line_profiler로", {"line_profil"}),
        ("Scavenger는", {"scaveng"}),
        # acronyms
        ("TLS를 켰다", {"tl", "켜다"}),
        ("MQTT로 들어오는", {"mqtt", "들어오다"}),
        ("CSS 파싱", {"css", "파싱"}),
        ("CI/CD를", {"ci", "cd"}),
        # numbers with counters
        ("2019년에", {"2019년"}),
        ("10배로", {"10배"}),
    ],
)
def test_index_forms(lang: SearchKorean, text: str, expected: set[str]) -> None:
    got = indexed(lang, text)
    assert expected <= got, f"{text!r}: missing {expected - got} in {sorted(got)}"


@pytest.mark.parametrize(
    ("text", "unwanted"),
    [
        ("시간을 줄였다", {"줄"}),  # no stem cut inside a contracted verb
        ("증폭을 줄였다", {"증", "폭"}),  # no one-syllable pieces of compounds
        ("그것을 할 수 있다", {"것", "수", "그것"}),  # stop words
        ("디퓨전 모델", {"디퓨저"}),  # a normalised form that is not in the text
        ("다양한 모델", {"ᆫ"}),  # lone jamo
        ("", {""}),
    ],
)
def test_index_leaves_out(lang: SearchKorean, text: str, unwanted: set[str]) -> None:
    assert not (unwanted & indexed(lang, text))


def test_english_like_sphinx_english(lang: SearchKorean) -> None:
    from sphinx.search.en import SearchEnglish

    en = SearchEnglish({})
    text = "Profiling rolling upgrades of the consumers and partitions"
    assert lang.split(text) == en.split(text)
    assert [lang.stem(w) for w in lang.split(text)] == [en.stem(w) for w in en.split(text)]


def test_kiwi_loads_lazily_once() -> None:
    code = textwrap.dedent(
        """
        from talkbook.search import korean
        lang = korean.SearchKorean({})
        lang.split("no Korean here, nothing to analyse")
        print(korean.kiwi_loaded())
        lang.split("쿠버네티스를 썼다")
        lang.split("카프카 컨슈머")
        korean.SearchKorean({}).split("파이썬 최적화")
        print(korean.kiwi_loaded(), korean._KiwiHolder.loads)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "1"]


# --------------------------------------------------------------------------- incremental build
def _tiny_project(src: Path) -> None:
    (src / "conf.py").write_text(
        'project = "t"\nlanguage = "ko"\nextensions = ["talkbook.search"]\n', encoding="utf-8"
    )
    (src / "index.rst").write_text("색인\n====\n\n.. toctree::\n\n   a\n   b\n", encoding="utf-8")
    (src / "a.rst").write_text("쿠버네티스\n==========\n\n쿠버네티스를 썼다.\n", encoding="utf-8")
    (src / "b.rst").write_text("카프카\n======\n\n카프카 컨슈머를 늘렸다.\n", encoding="utf-8")


def sphinx_app(src: Path, out: Path, **options: Any) -> Any:
    """A quiet Sphinx HTML build of *src* (a conf.py project) into *out*."""
    from sphinx.application import Sphinx

    return Sphinx(
        str(src),
        str(src),
        str(out),
        str(out / ".doctrees"),
        "html",
        status=None,
        warning=None,
        **options,
    )


def _build(src: Path, out: Path) -> tuple[list[str], dict[str, set[str]]]:
    """Build; return the pages whose terms were collected and term -> pages of the index."""
    from talkbook.search import engine

    fed: list[str] = []
    original = engine.collect

    def spy(doctree, lang, title):  # type: ignore[no-untyped-def]
        fed.append(doctree["source"].rsplit("/", 1)[-1].removesuffix(".rst"))
        return original(doctree, lang, title)

    engine.collect = spy  # type: ignore[assignment]
    try:
        sphinx_app(src, out).build()
    finally:
        engine.collect = original  # type: ignore[assignment]
    urls, terms = engine.read_index(out)
    return fed, {t: {urls[i].removesuffix(".html") for i in docs} for t, docs in terms.items()}


def test_incremental_build_does_not_resplit_unchanged_docs(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    _tiny_project(src)
    fed, index = _build(src, out)
    assert sorted(fed) == ["a", "b", "index"]
    assert index["쿠버네티스"] == {"a"}
    assert index["컨슈머"] == {"b"}

    fed, index = _build(src, out)  # nothing changed
    assert fed == []

    (src / "b.rst").write_text("카프카\n======\n\n카프카 파티션을 나눴다.\n", encoding="utf-8")
    fed, index = _build(src, out)
    # b is re-split; Sphinx also rewrites b's toctree parent (index), never a
    assert "b" in fed and "a" not in fed
    # the unchanged doc's terms are still there, the changed doc's are new
    assert index["쿠버네티스"] == {"a"}
    assert "쿠버네티스를" not in index  # covered by 쿠버네티스 (postings.Postings._covered)
    assert index["파티션"] == {"b"}
    assert "컨슈머" not in index


# --------------------------------------------------------------------------- query side (JS)
FAKE_INDEX = {
    # file 0: k8s page, 1: "마이크로서비스" page, 2: a page that has 마이크 only
    "terms": {
        "쿠버네티스": [0, 1],
        "쿠버네티스를": 0,
        "마이크로": 1,
        "마이크": 2,
        "줄이다": 0,
        "최적화": 1,
        "서빙": [0, 1],
        "컨슈머": 1,
        "hbase": 0,
        "k8": 0,
        "tl": 1,
    },
    "titleterms": {"네임스페이스": 0},
}


@pytest.fixture(scope="module")
def stem_js(browser):  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=js_korean_stemmer())
    page.evaluate("(index) => { window.Search = { _index: index }; }", FAKE_INDEX)

    def stem(word: str) -> str:
        return page.evaluate("(w) => new Stemmer().stemWord(w)", word)

    yield stem
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("쿠버네티스", "쿠버네티스"),
        ("쿠버네티스를", "쿠버네티스"),  # the surface is a term, but the noun covers it
        ("쿠버네티스에서", "쿠버네티스"),  # not a term: longest known strip
        ("쿠버네티스에서는", "쿠버네티스"),
        ("네임스페이스로", "네임스페이스"),  # title terms count as known
        ("컨슈머들을", "컨슈머"),
        ("마이크로", "마이크로"),  # ends like 로, but 마이크 does not cover its pages
        ("줄이는", "줄이다"),  # verb endings -> lemma
        ("줄인", "줄이다"),  # adnominal ㄴ inside the last syllable
        ("줄였다", "줄이다"),
        ("최적화하는", "최적화"),  # noun + 하다
        ("서빙된다", "서빙"),
        ("모르는단어를", "모르는단어를"),  # nothing known: left alone
        ("hbase에서", "hbase"),  # Latin + particles: the Latin word, porter-stemmed
        ("k8s를", "k8"),
        ("tls", "tl"),
        ("profiling", "profil"),
    ],
)
def test_js_stemmer(stem_js, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert stem_js(query) == expected


@pytest.mark.browser
def test_js_porter_agrees_with_python(stem_js, lang: SearchKorean) -> None:  # type: ignore[no-untyped-def]
    words = [
        "profiling",
        "profiler",
        "partitions",
        "consumers",
        "rolling",
        "upgrades",
        "quantization",
        "serving",
        "mqtt",
        "tls",
        "css",
        "k8s",
        "hbase",
        "armeria",
        "kubernetes",
        "namespaces",
        "multimodal",
        "diffusion",
        "webview",
        "flutter",
    ]
    assert [stem_js(w) for w in words] == [lang.stem(w) for w in words]
