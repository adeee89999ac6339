"""The word memo of talkbook.search (``<doctreedir>/talkbook-search-words.pickle``).

An HTML build analyses each distinct Hangul word once with Kiwi and keeps word -> index
forms next to the environment, so an incremental build whose pages bring no new word never
loads Kiwi. What a build did is read from the JSON line it appends to the file named by
``TALKBOOK_SEARCH_STATS`` (talkbook.search.STATS_ENV).
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import test_stemmer
from helpers import jb_build, mini_book, output_of

from talkbook.search import MEMO_FILENAME, STATS_ENV, _build_finished
from talkbook.search.engine import read_index
from talkbook.search.korean import SearchKorean, WordMemo, memo_version

PAGES = {
    "book/intro": "# 홈\n\n쿠버네티스를 쓰는 팀의 기록.\n",
    "book/a": "# 카프카\n\n카프카 컨슈머를 늘렸다. 파티션을 나눴다.\n",
    "book/b": "# 서빙\n\n모델을 굽는 화덕을 만들었다.\n",
}


def search_index(html: Path) -> tuple[list[str], dict[str, set[int]]]:
    """The talkbook search index written into *html* (page URLs, term -> pages)."""
    return read_index(html)


def pages_with(index: tuple[list[str], dict[str, set[int]]], term: str) -> set[str]:
    """Docnames whose text or titles hold *term* in the index (the generated talk,
    conference, tag and speaker pages of the small book's catalog are left out)."""
    urls, terms = index
    generated = ("talks/", "conferences/", "tags/", "speakers/")
    docs = {urls[i].removesuffix(".html") for i in terms.get(term, ())}
    return {d for d in docs if not d.startswith(generated)}


def build(src: Path, out: Path, stats: Path) -> dict:
    """Build strictly; return the search statistics of this build."""
    before = stats.read_text(encoding="utf-8").splitlines() if stats.exists() else []
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-4000:]
    lines = stats.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1, lines  # exactly one HTML build reported
    return json.loads(lines[-1])


@pytest.mark.slow
def test_rebuild_without_new_words_does_not_load_kiwi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats = tmp_path / "stats.jsonl"
    monkeypatch.setenv(STATS_ENV, str(stats))
    src, out = mini_book(tmp_path / "src", PAGES), tmp_path / "out"
    html = out / "_build" / "html"
    memo_file = out / "_build" / ".doctrees" / MEMO_FILENAME

    first = build(src, out, stats)
    assert first["analysed"] > 0 and first["kiwi_loaded"] and first["saved"]
    assert memo_file.exists()
    assert pages_with(search_index(html), "컨슈머") == {"book/a"}
    written = memo_file.stat().st_mtime_ns, memo_file.read_bytes()

    # the same words in another order: page a is re-read, re-indexed, Kiwi stays unloaded
    (src / "book/a.md").write_text(
        "# 카프카\n\n파티션을 나눴다. 카프카 컨슈머를 늘렸다.\n", encoding="utf-8"
    )
    second = build(src, out, stats)
    assert second["memo_loaded"] and second["looked_up"] > 0, second  # page a went through it
    assert second["analysed"] == 0 and not second["kiwi_loaded"], second
    assert not second["saved"]
    assert (memo_file.stat().st_mtime_ns, memo_file.read_bytes()) == written
    index = search_index(html)
    assert pages_with(index, "컨슈머") == {"book/a"}  # 컨슈머를: the particle is stripped
    assert pages_with(index, "파티션") == {"book/a"}
    assert pages_with(index, "쿠버네티스") == {"book/intro"}  # unchanged page kept

    # a page with a word the memo has never seen: analysed (and only that), findable
    (src / "book/b.md").write_text("# 서빙\n\n모델을 양자화했다.\n", encoding="utf-8")
    third = build(src, out, stats)
    assert third["kiwi_loaded"] and third["saved"], third
    assert third["analysed"] == 1, third  # 양자화했다; 모델을 is known
    index = search_index(html)
    assert pages_with(index, "양자화") == {"book/b"}
    assert pages_with(index, "화덕") == set()
    # words that left the book leave the memo: it holds the book's vocabulary only
    words = pickle.loads(memo_file.read_bytes())["words"]
    assert "양자화했다" in words and "컨슈머를" in words
    # (the catalog's generated pages are part of the book: their words stay)
    assert "굽는" not in words and "화덕을" not in words
    assert third["dropped"] >= 3


# --------------------------------------------------------------------------- unit tests
def kiwi_free(code: str) -> list[str]:
    """Run *code* in a fresh interpreter (Kiwi unloaded); return its printed words."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_memo_round_trip_without_kiwi(tmp_path: Path) -> None:
    path = tmp_path / MEMO_FILENAME
    memo = WordMemo(path)
    first = SearchKorean({})
    WordMemo.current = memo
    try:
        forms = first.split("카프카 컨슈머를 늘렸다")
    finally:
        WordMemo.current = None
    assert "컨슈머" in forms and memo.analysed == 3
    assert memo.save() and not list(tmp_path.glob("*.tmp"))
    assert not memo.save()  # unchanged: not written again
    # another process: the same forms, and Kiwi never constructed
    got = kiwi_free(
        f"""
        from talkbook.search import korean
        korean.WordMemo.current = korean.WordMemo({str(path)!r})
        print(*korean.SearchKorean({{}}).split("카프카 컨슈머를 늘렸다"))
        print(korean.kiwi_loaded(), korean.WordMemo._light is None, korean._KiwiHolder.loads)
        """
    )
    assert got == [*forms, "False", "True", "0"]


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle", pickle.dumps({"version": "old", "words": {"컨슈머를": ("x",)}})],
)
def test_unusable_memo_starts_afresh(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / MEMO_FILENAME
    path.write_bytes(content)
    memo = WordMemo(path)
    assert "컨슈머" in memo.forms("컨슈머를") and memo.analysed == 1
    assert memo.save()
    assert pickle.loads(path.read_bytes())["version"] == memo_version()


def test_failed_build_keeps_the_previous_memo(tmp_path: Path) -> None:
    path = tmp_path / MEMO_FILENAME
    memo = WordMemo.current = WordMemo(path)
    memo.forms("컨슈머를")
    app = SimpleNamespace(builder=SimpleNamespace(indexer=None), talkbook_search_state=None)
    _build_finished(app, RuntimeError("the build broke"))  # type: ignore[arg-type]
    assert WordMemo.current is None
    assert not path.exists()
    WordMemo.current = memo
    _build_finished(app, None)  # type: ignore[arg-type]
    assert path.exists()


def test_prune_keeps_the_indexed_words(tmp_path: Path) -> None:
    memo = WordMemo(tmp_path / MEMO_FILENAME)
    memo.words = {"컨슈머를": ("컨슈머를", "컨슈머"), "서빙하는": ("서빙하는",), "그": ("그",)}
    from talkbook.search import _in_index
    from talkbook.search.engine import PageTerms

    page = PageTerms(title="a", terms={"컨슈머를": [1, 0, 0, 0, 0], "컨슈머": [1, 0, 0, 0, 0]})
    state = SimpleNamespace(store=SimpleNamespace(pages={"a": page}), lang=SearchKorean({}))
    memo.prune(_in_index(state))  # type: ignore[arg-type]
    # 서빙하는: pruned from every page; 그: a stop word, never in the index, kept
    assert set(memo.words) == {"컨슈머를", "그"} and memo.dropped == 1 and memo.dirty


def word_path_indexed(tmp_path: Path, text: str) -> set[str]:
    """What the index gets for *text* through a word memo (as in an HTML build)."""
    WordMemo.current = WordMemo(tmp_path / MEMO_FILENAME)
    try:
        return test_stemmer.indexed(SearchKorean({}), text)
    finally:
        WordMemo.current = None


def _cases(test):  # type: ignore[no-untyped-def]
    return next(m for m in test.pytestmark if m.name == "parametrize").args[1]


@pytest.mark.parametrize(("text", "expected"), _cases(test_stemmer.test_index_forms))
def test_word_path_index_forms(tmp_path: Path, text: str, expected: set[str]) -> None:
    """The memo's word-by-word analysis gives the forms the sentence path is tested for."""
    got = word_path_indexed(tmp_path, text)
    assert expected <= got, f"{text!r}: missing {expected - got} in {sorted(got)}"


@pytest.mark.parametrize(("text", "unwanted"), _cases(test_stemmer.test_index_leaves_out))
def test_word_path_leaves_out(tmp_path: Path, text: str, unwanted: set[str]) -> None:
    assert not (unwanted & word_path_indexed(tmp_path, text))


def test_parallel_build_feeds_the_memo_in_the_main_process(tmp_path: Path) -> None:
    """With -j 2 Sphinx writes pages in forked workers, but feeds the search index in the
    main process (write_doc_serialized): every page's words reach the one memo there."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        'project = "t"\nlanguage = "ko"\nextensions = ["talkbook.search"]\n', encoding="utf-8"
    )
    nouns = ["쿠버네티스", "카프카", "컨슈머", "파티션", "샤딩", "웹뷰", "프로파일러", "양자화"]
    (src / "index.rst").write_text(
        "색인\n====\n\n.. toctree::\n\n" + "".join(f"   p{i}\n" for i in range(len(nouns))),
        encoding="utf-8",
    )
    for i, noun in enumerate(nouns):
        (src / f"p{i}.rst").write_text(
            f"제목 {i}\n=======\n\n{noun}에서 시작했다.\n", encoding="utf-8"
        )
    # in a fresh interpreter: Sphinx forks its workers, and forking this test process (with
    # the browser's and the servers' threads) can leave a worker deadlocked on a lock
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-E",
        "-j",
        "2",
        "-d",
        str(out / ".doctrees"),
        str(src),
        str(out),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # chunks of pages ("p0 .. p3") went to forked workers
    assert re.search(r"writing output\.\.\. \[.*\] \S+ \.\. \S+", result.stdout), result.stdout
    words = pickle.loads((out / ".doctrees" / MEMO_FILENAME).read_bytes())["words"]
    assert {f"{noun}에서" for noun in nouns} <= set(words)
    index = search_index(out)
    for i, noun in enumerate(nouns):
        assert pages_with(index, noun) == {f"p{i}"}
