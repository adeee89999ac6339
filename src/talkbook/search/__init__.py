"""``talkbook.search``: Korean-aware full-text search for the HTML build.

Sphinx has no Korean search language; with ``language = "ko"`` it indexes as
English.  This extension

* registers :class:`~talkbook.search.korean.SearchKorean` (lang ``ko``) with
  ``app.add_search_language``; it is used when the book language (or
  ``html_search_language``) is ``ko``;
* keeps the index forms of every Hangul word of the book in
  ``<doctreedir>/talkbook-search-words.pickle`` (:class:`~talkbook.search.korean.WordMemo`,
  loaded on the first Korean text, saved at ``build-finished``), so a rebuild loads Kiwi
  only for words it has never seen;
* puts ``static/searchtools.js`` (Sphinx 7.4.7's file with a small, commented
  patch for Korean multi-word queries) on ``html_static_path`` so it replaces
  the theme's copy.

Config: ``talkbook_search_korean`` (default ``True``).  ``False`` leaves Sphinx's
stock behaviour untouched (used by ``scripts/search_eval.py`` as the baseline).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

__version__ = "0.1.0"

STATIC_DIR = Path(__file__).parent / "static"
#: the word memo (talkbook.search.korean.WordMemo), next to the environment pickle
MEMO_FILENAME = "talkbook-search-words.pickle"
#: when set, each HTML build appends a JSON line of search statistics to this file
STATS_ENV = "TALKBOOK_SEARCH_STATS"


def _config_inited(app: Sphinx, config: Config) -> None:
    from sphinx.search import languages

    from .korean import SearchKorean

    if config.talkbook_search_korean:
        app.add_search_language(SearchKorean)
    elif languages.get("ko") is SearchKorean:
        # same process, baseline build after ours: back to Sphinx's fallback
        del languages["ko"]


def _builder_inited(app: Sphinx) -> None:
    from .korean import WordMemo

    WordMemo.current = None
    if not app.config.talkbook_search_korean:
        return
    if app.builder.format != "html":
        return
    lang = app.config.html_search_language or app.config.language or ""
    if lang.split("_")[0] != "ko":
        return  # another search language: Sphinx's own searchtools.js
    WordMemo.current = WordMemo(Path(app.doctreedir) / MEMO_FILENAME)
    static = str(STATIC_DIR)
    if static not in app.config.html_static_path:
        # copied after the theme's static files, so our searchtools.js wins
        app.config.html_static_path.append(static)


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    from .korean import WordMemo, kiwi_loaded

    memo, WordMemo.current = WordMemo.current, None
    if memo is None:
        return
    saved = False
    if exception is None:  # a build that stopped half-way keeps the previous memo
        indexer = getattr(app.builder, "indexer", None)
        if memo.words is not None and indexer is not None:
            # after dump_search_index: the index holds exactly the pages of the book
            memo.prune(_in_index(indexer))
        saved = memo.save()
    stats = {
        "memo_loaded": memo.words is not None,
        "memo_words": len(memo.words or ()),
        "looked_up": memo.looked_up,
        "analysed": memo.analysed,
        "dropped": memo.dropped,
        "kiwi_loaded": WordMemo._light is not None or kiwi_loaded(),
        "saved": saved,
    }
    logger.verbose("talkbook.search: %s", stats)
    if os.environ.get(STATS_ENV):
        # for tests and benchmarks: what the search language did in this build
        with open(os.environ[STATS_ENV], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(stats) + "\n")


def _in_index(indexer: Any) -> Callable[[str], bool]:
    """Whether a memo word still occurs in the book: IndexBuilder.feed stores a Hangul word
    lower-cased (SearchKorean.stem) unless word_filter drops it (stop words: kept, they
    are few and on every page)."""
    terms = indexer._mapping
    titles = indexer._title_mapping
    lang = indexer.lang

    def live(word: str) -> bool:
        low = word.lower()
        return bool(terms.get(low)) or bool(titles.get(low)) or not lang.word_filter(low)

    return live


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("talkbook_search_korean", True, "env", [bool])
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("build-finished", _build_finished)
    return {
        "version": __version__,
        # bump when the index forms change: the env keeps per-doc search terms
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
