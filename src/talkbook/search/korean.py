"""Korean search language for Sphinx's HTML search index.

Sphinx has no Korean search language: with ``language = "ko"`` it falls back
to English, which indexes every eojeol (whitespace word) whole.  The noun
``쿠버네티스`` then misses a page that only says ``쿠버네티스를``.

:class:`SearchKorean` keeps the English behaviour for Latin words (the same
snowball ``porter`` stemmer that :class:`sphinx.search.en.SearchEnglish` uses,
so the JS porter stemmer in the browser stays compatible) and, for every word
that contains Hangul, adds the forms a reader may type, found with Kiwi
(``kiwipiepy``) morphological analysis:

* the surface form (what stock Sphinx indexes),
* the form with trailing particles / copula / endings removed
  (``쿠버네티스를`` -> ``쿠버네티스``, ``HBase에서`` -> ``hbase``),
* nouns and roots, plus compound nouns that Kiwi splits, joined again
  (``네임스페이스별로`` -> ``네임``, ``스페이스``, ``네임스페이스``, ``네임스페이스별``),
* verb / adjective lemmas (``줄였다`` -> ``줄이다``),
* Latin words with attached particles as the Latin word
  (``k8s를`` -> ``k8s``, ``line_profiler로`` -> ``line_profiler``).

Kiwi is loaded lazily, once per process, the first time Korean text is split.
In an HTML build, words go through :class:`WordMemo` instead: each distinct word is
analysed once, alone, and kept across builds next to the environment.
The browser side (particle stripping guided by the index) lives in
:mod:`talkbook.search.stemmer_js`.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sphinx.search.en import SearchEnglish, english_stopwords
from sphinx.util import logging

from ..files import write_atomic
from .stemmer_js import js_korean_stemmer

logger = logging.getLogger(__name__)

#: Hangul syllables, jamo and compatibility jamo.
HANGUL_RE = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
#: A Latin/number run (an ASCII "word", underscores allowed) that contains a letter.
LATIN_RUN_RE = re.compile(r"[0-9A-Za-z_]*[A-Za-z][0-9A-Za-z_]*")
#: Sphinx's default word regex: the index is built from these words.
WORD_RE = re.compile(r"\w+")

#: Korean function words that carry no meaning on their own.  They are kept out of
#: the index (Python) and dropped from queries (JS: the list goes to language_data.js).
KOREAN_STOPWORDS = frozenset(
    """
    것 수 등 및 그 이 저 더 또 또는 그리고 하지만 그러나 그래서 때 중 위 후 전 내
    좀 잘 안 못 약 개 명 번 분 곳 거 게 건 걸 데 뿐 듯 채 바 줄 따위 하다 되다 있다 없다
    이다 아니다 않다 같다 이런 그런 저런 이것 그것 저것 여기 거기 우리 저희 제 나 너
    은 는 가 을 를 의 에 도 로 와 과 에서 으로 만
    """.split()
)

#: Kiwi tags whose morphemes are indexed as nouns (and joined into compounds).
#: Latin (SL) and numbers (SN) are left to LATIN_RUN_RE: Kiwi cuts k8s into k/8/s.
NOUN_TAGS = frozenset({"NNG", "NNP", "NR", "SH", "XR"})
#: Tags that may continue a compound noun (noun-forming suffix: 최적+화, 모델+들).
NOUN_SUFFIX_TAGS = frozenset({"XSN"})
#: Verb / adjective stems, indexed as lemma (form + 다).
VERB_TAGS = ("VV", "VA")
#: Predicate stems and verb-forming suffixes: no particle stripping after them.
STEM_TAGS = ("VV", "VA", "VX", "XSV", "XSA", "VCN")


#: Particles stripped by rule when Kiwi glued them to an unknown noun (longest first).
FALLBACK_PARTICLES = sorted(
    """을 를 은 는 이 가 의 에 에서 에게 으로 로 와 과 도 만 에는 에서는 에서도
    으로는 로는 으로도 로도 에도 까지 부터 보다 처럼 이나 와는 과는 와의 과의
    이라는 라는 이란 란""".split(),
    key=len,
    reverse=True,
)


def _is_trailing(tag: str) -> bool:
    """Particles (J*), endings (E*) and the copula: stripped from the end of a word."""
    return tag.startswith(("J", "E")) or tag == "VCP"


class _KiwiHolder:
    """Load Kiwi once per process, lazily (it takes ~2 s and ~100 MB)."""

    _lock = threading.Lock()
    _kiwi: Any = None
    loads = 0  # how many times Kiwi was constructed in this process (for tests)

    @classmethod
    def get(cls) -> Any:
        if cls._kiwi is None:
            with cls._lock:
                if cls._kiwi is None:
                    from kiwipiepy import Kiwi

                    cls._kiwi = Kiwi()
                    cls.loads += 1
        return cls._kiwi


def get_kiwi() -> Any:
    return _KiwiHolder.get()


def kiwi_loaded() -> bool:
    return _KiwiHolder._kiwi is not None


def _lemma(token: Any) -> str:
    lemma = getattr(token, "lemma", "") or ""
    return lemma if lemma.endswith("다") else token.form + "다"


def korean_word_forms(word: str, tokens: list[Any], offset: int) -> Iterator[str]:
    """Forms to index for one Sphinx word that contains Hangul.

    *tokens* are the Kiwi tokens that fall inside the word, *offset* the word's
    start in the analysed text (Kiwi positions are relative to that text).
    """
    yield word
    # Latin words glued to Hangul: HBase에서, k8s를, line_profiler로, AI플랫폼
    for m in LATIN_RUN_RE.finditer(word):
        yield m.group()
    if not tokens:
        return
    # 1. strip trailing particles / endings / copula
    i = len(tokens)
    while i > 0 and _is_trailing(tokens[i - 1].tag):
        i -= 1
    # (only after a noun-like morpheme: 줄였다 -> "줄" is no word; a contracted
    # ending also starts inside the stem's last syllable)
    if 0 < i < len(tokens) and not tokens[i - 1].tag.startswith(STEM_TAGS):
        cut = tokens[i].start - offset
        prev_end = tokens[i - 1].start + tokens[i - 1].len - offset
        if 0 < cut < len(word) and cut >= prev_end:
            yield word[:cut]
    elif i == len(tokens) and tokens[-1].tag in NOUN_TAGS:
        # Kiwi may read an unknown loanword and its particle as one noun
        # (컨슈머를/NNG): strip a common particle by rule, keeping >= 2 syllables
        for particle in FALLBACK_PARTICLES:
            if word.endswith(particle) and len(word) - len(particle) >= 2:
                stem = word[: -len(particle)]
                if HANGUL_RE.search(stem[-1]):
                    yield stem
                break
    # 2. nouns, roots, and compound nouns joined again
    run: list[Any] = []

    def flush() -> Iterator[str]:
        # drop noun suffixes at the run's end for the "core" compound
        core = list(run)
        while core and core[-1].tag in NOUN_SUFFIX_TAGS:
            core.pop()
        for tok in core:
            # a one-syllable piece of a compound (증+폭) is no word of its own
            # and neither is an out-of-vocabulary syllable (샤딩과 -> 샤/NNG? 딩/MAG)
            # and a normalised form that is not in the text (디퓨전 -> 디퓨저+ᆫ) is no help
            if (
                tok.tag in NOUN_TAGS
                and (len(tok.form) > 1 or (len(core) == 1 and not getattr(tok, "oov", False)))
                and tok.form in word
            ):
                yield tok.form
        for part in (core, run):
            if len(part) > 1:
                start = part[0].start - offset
                end = part[-1].start + part[-1].len - offset
                if 0 <= start < end <= len(word):
                    yield word[start:end]

    for tok in tokens:
        if tok.tag in NOUN_TAGS or (run and tok.tag in NOUN_SUFFIX_TAGS):
            run.append(tok)
            continue
        if run:
            yield from flush()
            run = []
        if tok.tag.startswith(VERB_TAGS):
            yield _lemma(tok)
    if run:
        yield from flush()


class SearchKorean(SearchEnglish):
    """Korean search language: Kiwi-based index forms + English porter for Latin."""

    lang = "ko"
    language_name = "Korean"
    stopwords = set(english_stopwords) | set(KOREAN_STOPWORDS)
    js_stemmer_code = js_korean_stemmer()

    # -- index side -------------------------------------------------------
    def split(self, input: str) -> list[str]:
        if not HANGUL_RE.search(input):
            return WORD_RE.findall(input)
        return [w for w in self._split_korean(input) if w]

    def _split_korean(self, text: str) -> Iterator[str]:
        memo = WordMemo.current
        if memo is not None:
            # in an HTML build: word by word, through the memo (Kiwi only for new words)
            for m in WORD_RE.finditer(text):
                word = m.group()
                if not HANGUL_RE.search(word):
                    yield word
                else:
                    yield from memo.forms(word)
            return
        # outside a build (tests, scripts): the whole text, with its context
        tokens = _analyse(text)
        ti = 0
        for m in WORD_RE.finditer(text):
            word = m.group()
            if not HANGUL_RE.search(word):
                yield word
                continue
            start, end = m.span()
            # Kiwi tokens are in text order; collect those inside this word
            while ti < len(tokens) and tokens[ti].start < start:
                ti += 1
            j = ti
            inside = []
            while j < len(tokens) and tokens[j].start < end:
                inside.append(tokens[j])
                j += 1
            yield from korean_word_forms(word, inside, start)

    def stem(self, word: str) -> str:
        if HANGUL_RE.search(word):
            return word.lower()
        return super().stem(word)

    def word_filter(self, word: str) -> bool:
        if not word:
            return True
        if word in self.stopwords:
            return False
        # a lone jamo (Kiwi's ᆫ, ᆯ ...) is never a word
        if len(word) == 1 and not ("\uac00" <= word <= "\ud7a3" or word.isalnum()):
            return False
        return super().word_filter(word)


@lru_cache(maxsize=4096)
def _analyse_cached(text: str) -> tuple[Any, ...]:
    return tuple(get_kiwi().tokenize(text))


def _analyse(text: str) -> tuple[Any, ...]:
    return _analyse_cached(text)


class WordMemo:
    """Index forms per distinct Hangul word, analysed alone and kept across builds.

    A book repeats its words: 600 words a page, but far fewer distinct ones, and the same
    ones on every page. Analysing each distinct word once (instead of every sentence) cuts
    Kiwi's work by the repetition factor, and kept next to the environment (doctreedir) it
    spares incremental builds from loading Kiwi at all unless a page brings a new word.
    Context is lost (Kiwi sees one word, not the sentence): on the book's own pages 50 of
    7,186 index terms differ.

    The file is keyed by :func:`memo_version` (this module's source, the versions of
    kiwipiepy and its model): any change there starts an empty memo.  It is written
    atomically (:func:`talkbook.files.write_atomic`), only by a build that finished
    without an exception, and only when it changed.  Before writing, words that are no
    longer in the search index (pages deleted or rewritten) are dropped, so the file holds
    about the book's current vocabulary and cannot grow without bound.

    The search index is fed in the main process only (``write_doc_serialized``, also with
    ``-j N``), so one memo per process (:attr:`current`) sees every word.
    """

    #: the memo of the running HTML build (set at builder-inited, cleared at build-finished)
    current: WordMemo | None = None
    #: Kiwi without the multi-word and typo dictionaries, loaded on the first new word
    _light: Any = None

    def __init__(self, path: Any) -> None:
        self.path = Path(path)
        self.words: dict[str, tuple[str, ...]] | None = None
        self.dirty = False
        self.looked_up = 0  # Hangul words split in this build
        self.analysed = 0  # of which new to the memo, analysed by Kiwi
        self.dropped = 0  # words dropped at save() (no longer in the index)

    def _load(self) -> dict[str, tuple[str, ...]]:
        if self.words is None:
            self.words = {}
            try:
                with open(self.path, "rb") as fh:
                    data = pickle.load(fh)
                if (
                    isinstance(data, dict)
                    and data.get("version") == memo_version()
                    and isinstance(data.get("words"), dict)
                ):
                    self.words = data["words"]
            except FileNotFoundError:
                pass
            except Exception:  # a truncated or foreign file: start again, never fail
                logger.info("talkbook.search: unreadable word memo %s, starting afresh", self.path)
        return self.words

    @classmethod
    def _kiwi(cls) -> Any:
        """Kiwi without the multi-word and typo dictionaries: one word at a time needs
        neither (same forms for every word of the book), and it loads in about half the
        time and memory."""
        if cls._light is None:
            with _KiwiHolder._lock:
                if cls._light is None:
                    from kiwipiepy import Kiwi

                    cls._light = Kiwi(load_typo_dict=False, load_multi_dict=False)
                    _KiwiHolder.loads += 1
        return cls._light

    def forms(self, word: str) -> tuple[str, ...]:
        words = self._load()
        self.looked_up += 1
        found = words.get(word)
        if found is None:
            tokens = list(self._kiwi().tokenize(word))
            found = tuple(f for f in korean_word_forms(word, tokens, 0) if f)
            words[word] = found  # only once complete: an interrupted analysis stores nothing
            self.analysed += 1
            self.dirty = True
        return found

    def prune(self, live: Callable[[str], bool]) -> None:
        """Drop the words for which *live* (the word) is false."""
        if not self.words:
            return
        dead = [w for w in self.words if not live(w)]
        for w in dead:
            del self.words[w]
        if dead:
            self.dropped += len(dead)
            self.dirty = True

    def save(self) -> bool:
        """Write the memo if it changed (atomically); True when written."""
        if not self.dirty or self.words is None:
            return False
        data = pickle.dumps({"version": memo_version(), "words": self.words}, protocol=5)
        try:
            write_atomic(self.path, data)
        except OSError as err:  # the memo is only a cache: the build stays good
            logger.info("talkbook.search: word memo not saved (%s)", err)
            return False
        self.dirty = False
        return True


#: digest of this module as imported (not as the file may be edited during a build)
_SOURCE_DIGEST = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def memo_version() -> str:
    """What the memo's forms depend on: this module's source, Kiwi's and its model's version."""
    from importlib.metadata import PackageNotFoundError, version

    parts = [_SOURCE_DIGEST]
    for dist in ("kiwipiepy", "kiwipiepy_model"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=?")
    return " ".join(parts)
