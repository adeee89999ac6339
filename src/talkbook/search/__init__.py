"""``talkbook.search``: ranked, on-demand full-text search for the HTML build.

* :class:`~talkbook.search.korean.SearchKorean` (lang ``ko``) is registered with
  ``app.add_search_language``; with ``language = "ko"`` (or ``html_search_language``)
  Hangul words are indexed with their particle-free forms, nouns and lemmas (Kiwi), each
  distinct word analysed once and kept in ``<doctreedir>/talkbook-search-words.pickle``
  (:class:`~talkbook.search.korean.WordMemo`);
* every written page's terms are counted (:mod:`talkbook.search.engine`: body frequency,
  page title, section titles, first section) at ``doctree-resolved`` and kept in
  ``<doctreedir>/talkbook-search-pages.pickle``; at ``build-finished`` they are written as
  ``_static/talkbook-search/meta.js`` + shards ``s<N>.js`` beside the engine
  (``talkbook-search.js``) and the language's JS stemmer (``stemmer.js``).  Sphinx's own
  ``searchindex.js`` is not written;
* the templates ``layout.html`` / ``search.html`` (appended to ``templates_path``) drop the
  theme's search scripts from every page; the search page loads the engine only when there
  is a query or the reader types in the box.

Config (all typed): ``talkbook_search`` (default ``True``; ``False`` leaves Sphinx's stock
search untouched, the baseline of ``scripts/search_eval.py``), ``talkbook_search_korean``
(``True``: the Korean search language), ``talkbook_search_variants`` (dict, variant ->
canonical spelling, added to the kit's table ``variants.csv``),
``talkbook_search_variants_file`` (path relative to the configuration directory: a
``variant,canonical`` CSV or a JSON object), ``talkbook_search_shard_kb`` (target shard
size, default 48).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docutils import nodes
from markupsafe import Markup
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

from ..files import write_atomic

logger = logging.getLogger(__name__)

__version__ = "0.2.0"

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
#: the word memo (talkbook.search.korean.WordMemo), next to the environment pickle
MEMO_FILENAME = "talkbook-search-words.pickle"
#: the postings kept between builds (talkbook.search.postings)
POSTINGS_FILE = "talkbook-search-postings.pickle"
#: when set, each HTML build appends a JSON line of search statistics to this file
STATS_ENV = "TALKBOOK_SEARCH_STATS"
#: what stands in for Sphinx's searchindex.js (IndexBuilder.load also wants envversion)
EMPTY_SPHINX_INDEX: dict[str, Any] = {
    "docnames": [],
    "filenames": [],
    "titles": [],
    "terms": {},
    "titleterms": {},
    "objects": {},
    "objnames": {},
    "objtypes": {},
    "alltitles": {},
    "indexentries": {},
}
#: the theme's search scripts, dropped from the pages (talkbook-search.js replaces them)
_SPHINX_SEARCH_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=\"[^\"]*(?:searchtools|language_data|searchindex)\.js[^\"]*\"[^>]*>"
    r"\s*</script>\s*"
)


def unload_sphinx_search(html: str) -> Markup:
    """Template helper: *html* without the script tags of Sphinx's search."""
    return Markup(_SPHINX_SEARCH_SCRIPT.sub("", str(html)))


class _State:
    """What the running HTML build of this process keeps for the search index.

    The page store (every page's terms, megabytes for a large book) is loaded only when a
    page is indexed or the index must be written again; a small stamp beside it says what
    the last written index was made of, so a build that changed nothing costs nothing."""

    def __init__(self, store: Any, lang: Any) -> None:
        self.store = store
        self.lang = lang
        self.indexer_dropped = False
        self.collected = 0
        self.collect_s = 0.0
        self.loaded = False
        self.replaced: dict[str, Any] = {}  # docname -> its stored page before this build
        self.postings: Any = None
        try:
            self.stamp = json.loads(self.stamp_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.stamp = None

    @property
    def stamp_path(self) -> Path:
        return self.store.path.with_suffix(".stamp.json")

    @property
    def complete(self) -> bool:
        """The store of a previous build of the same format is there (without loading it)."""
        if self.loaded:
            return bool(self.store.complete)
        return (
            isinstance(self.stamp, dict)
            and self.stamp.get("version") == self.store.version
            and self.store.path.is_file()
        )

    def load(self) -> None:
        if not self.loaded:
            self.loaded = True
            self.store.load()


def _active(app: Sphinx) -> bool:
    builder = getattr(app, "builder", None)
    return bool(
        app.config.talkbook_search
        and builder is not None
        and builder.format == "html"
        and getattr(builder, "search", False)
        and builder.name in ("html", "dirhtml")
    )


def _search_lang(config: Config) -> Any:
    """The Sphinx SearchLanguage the book uses, as sphinx.search.IndexBuilder picks it."""
    from sphinx.search import languages
    from sphinx.search.en import SearchEnglish
    from sphinx.util import import_object

    name = config.html_search_language or config.language or "en"
    cls = languages.get(name)
    if cls is None and "_" in name:
        cls = languages.get(name.split("_")[0])
    if cls is None:
        return SearchEnglish(config.html_search_options)
    if isinstance(cls, str):
        module, _, attr = cls.rpartition(".")
        cls = import_object(module + "." + attr) if module else SearchEnglish
    return cls(config.html_search_options)


def _config_inited(app: Sphinx, config: Config) -> None:
    from sphinx.search import languages

    from .korean import SearchKorean

    if config.talkbook_search_korean and config.talkbook_search:
        app.add_search_language(SearchKorean)
    elif languages.get("ko") is SearchKorean:
        # same process, baseline build after ours: back to Sphinx's fallback
        del languages["ko"]
    if config.talkbook_search:
        if str(TEMPLATES_DIR) not in config.templates_path:
            # last: a book's own layout.html / search.html still wins
            config.templates_path = [*config.templates_path, str(TEMPLATES_DIR)]
        _variants(app, config)  # a broken table file stops the build here


def _variants(app: Sphinx, config: Config) -> dict[str, str]:
    from .engine import variant_table

    name = config.talkbook_search_variants_file
    path = Path(app.confdir, name) if name else None
    if path is not None and not path.is_file():
        raise ConfigError(
            f"talkbook_search_variants_file: {path}: no such file "
            "(a 'variant,canonical' CSV or a JSON object, relative to the configuration)"
        )
    extra = config.talkbook_search_variants
    if not isinstance(extra, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in extra.items()
    ):
        raise ConfigError(
            "talkbook_search_variants: expected a mapping of strings (variant: canonical)"
        )
    try:
        return variant_table(extra, path)
    except ValueError as err:
        raise ConfigError(str(err)) from None


def _builder_inited(app: Sphinx) -> None:
    from .engine import STORE_FILENAME, PageStore, store_version
    from .korean import WordMemo

    WordMemo.current = None
    app.talkbook_search_state = None  # type: ignore[attr-defined]  # (not on env: pickled)
    if not _active(app):
        return
    store = PageStore(Path(app.doctreedir) / STORE_FILENAME, store_version())
    app.talkbook_search_state = _State(store, None)  # type: ignore[attr-defined]
    lang = app.config.html_search_language or app.config.language or ""
    if app.config.talkbook_search_korean and lang.split("_")[0] == "ko":
        WordMemo.current = WordMemo(Path(app.doctreedir) / MEMO_FILENAME)


def _state(app: Sphinx) -> _State | None:
    return getattr(app, "talkbook_search_state", None)


def _env_get_outdated(
    app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Without the stored page terms of a previous build, every page is read again (an
    incremental build would otherwise write an index of the changed pages only)."""
    state = _state(app)
    if state is None or state.complete:
        return []
    return sorted(set(env.found_docs) - added - changed)


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    context["talkbook_search_unload"] = (
        unload_sphinx_search if _state(app) is not None else (lambda html: html)
    )


def _doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    from .engine import collect

    state = _state(app)
    if state is None:
        return
    state.load()
    if not state.indexer_dropped:
        # the builder made Sphinx's IndexBuilder in prepare_writing, just before the
        # first page: without it no searchindex.js is fed or written (ours replaces it)
        state.indexer_dropped = True
        app.builder.indexer = None  # type: ignore[attr-defined]
    if state.lang is None:
        state.lang = _search_lang(app.config)
    metadata = app.env.metadata.get(docname, {})
    title_node = app.env.titles.get(docname)
    title = title_node.astext() if title_node is not None else ""
    if not title or "no-search" in metadata or "nosearch" in metadata:
        state.store.pages.pop(docname, None)
        return
    t0 = time.perf_counter()
    # the page as the kept postings know it (the first time it is replaced in this build)
    state.replaced.setdefault(docname, state.store.pages.get(docname))
    state.store.pages[docname] = collect(doctree, state.lang, title).frozen()
    state.collect_s += time.perf_counter() - t0
    state.collected += 1


def _stamp(app: Sphinx, state: _State) -> dict[str, Any]:
    """What the written index is made of, besides the pages' own terms: the documents, how
    their URLs are made, and the settings."""
    config = app.config
    settings = [
        config.html_search_language or config.language or "",
        config.talkbook_search_korean,
        config.talkbook_search_shard_kb,
        config.talkbook_search_variants,
        config.talkbook_search_variants_file,
        app.builder.name,
        config.root_doc,
    ]
    variants_file = Path(app.confdir, config.talkbook_search_variants_file)
    if config.talkbook_search_variants_file and variants_file.is_file():
        settings.append(variants_file.stat().st_mtime_ns)
    return {
        "version": state.store.version,
        "docs": sorted(app.env.found_docs),
        "settings": json.dumps(settings, sort_keys=True, default=str),
        "outdir": str(app.outdir),
    }


def _unchanged(app: Sphinx, state: _State) -> bool:
    """No page was indexed, and the documents and settings are those of the index already
    written: nothing to write."""
    from .engine import OUT_DIR

    return (
        state.collected == 0
        and not state.loaded
        and state.stamp == _stamp(app, state)
        and (Path(app.outdir) / OUT_DIR / "meta.js").is_file()
    )


def _write(app: Sphinx, state: _State) -> dict[str, Any]:
    from .engine import OUT_DIR, reading_order, stemmed_variants, write_index

    env = app.env
    state.load()
    store = state.store
    for gone in set(store.pages) - set(env.found_docs):
        del store.pages[gone]
    lang = state.lang or _search_lang(app.config)
    order = reading_order(env, app.config.root_doc, store.pages)
    pages = [(d, app.builder.get_target_uri(d), store.pages[d]) for d in order]

    def stem(word: str) -> str:
        return lang.stem(word).lower()

    settings = {
        "lang": lang.lang,
        "stopwords": sorted(lang.stopwords),
        "variants": stemmed_variants(_variants(app, app.config), stem),
    }
    outdir = Path(app.outdir)
    from .korean import SearchKorean
    from .stemmer_js import PARTICLES

    # the Korean stemmer (stemmer.js) strips particles guided by the index
    suffixes = PARTICLES if isinstance(lang, SearchKorean) else None
    shard_bytes = app.config.talkbook_search_shard_kb * 1024
    postings, dirty, patched = _postings(app, state, order, shard_bytes, suffixes)
    sizes = write_index(outdir, pages, settings, shard_bytes, suffixes, postings, dirty)
    sizes["patched"] = int(patched)
    target = outdir / OUT_DIR
    shutil.copyfile(STATIC_DIR / "talkbook-search.js", target / "talkbook-search.js")
    (target / "stemmer.js").write_text(lang.js_stemmer_code or "", encoding="utf-8")
    # nothing loads searchindex.js any more, but Sphinx's next incremental build reads it
    # (StandaloneHTMLBuilder.load_indexer) and warns when it is missing: an empty index
    from sphinx.search import js_index

    empty = {**EMPTY_SPHINX_INDEX, "envversion": app.env.version}
    (outdir / "searchindex.js").write_text(js_index.dumps(empty), encoding="utf-8")
    store.save()
    postings.save(Path(app.doctreedir) / POSTINGS_FILE, store.generation)
    state.postings = postings
    state.stamp = _stamp(app, state)
    write_atomic(state.stamp_path, json.dumps(state.stamp).encode("utf-8"))
    return sizes


def _postings(
    app: Sphinx, state: _State, order: list[str], shard_bytes: int, suffixes: Any
) -> tuple[Any, set[int] | None, bool]:
    """The postings of the pages in *order*: last build's, patched for the pages indexed
    again, when the pages are the same and in the same order; else made from the store.
    Also the shards that changed (None: any), and whether they were patched."""
    from .postings import SOURCE_DIGEST, Postings

    store = state.store
    key = json.dumps([store.version, SOURCE_DIGEST, shard_bytes, sorted(suffixes or ())])
    kept = Postings.load(Path(app.doctreedir) / POSTINGS_FILE, store.generation)
    if kept is not None and kept.key == key and kept.docs == order:
        ids = {d: i for i, d in enumerate(order)}
        changed = {
            ids[d]: (old, store.pages.get(d)) for d, old in state.replaced.items() if d in ids
        }
        return kept, kept.update(changed), True
    pages = [store.pages[d] for d in order]
    return Postings.build(key, order, pages, shard_bytes, suffixes), None, False


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    from .korean import WordMemo, kiwi_loaded

    memo, WordMemo.current = WordMemo.current, None
    state = _state(app)
    stats: dict[str, Any] = {}
    if state is not None and exception is None and _unchanged(app, state):
        stats["index"] = "unchanged"
    elif state is not None and exception is None:
        stats["index"] = _write(app, state)
        stats["pages"] = len(state.store.pages)
        stats["collected"] = state.collected
        stats["collect_s"] = round(state.collect_s, 3)
    if memo is not None:
        saved = False
        if exception is None:  # a build that stopped half-way keeps the previous memo
            if memo.words is not None and state is not None:
                memo.prune(_in_index(state))
            saved = memo.save()
        stats |= {
            "memo_loaded": memo.words is not None,
            "memo_words": len(memo.words or ()),
            "looked_up": memo.looked_up,
            "analysed": memo.analysed,
            "dropped": memo.dropped,
            "kiwi_loaded": WordMemo._light is not None or kiwi_loaded(),
            "saved": saved,
        }
    if not stats:
        return
    logger.verbose("talkbook.search: %s", stats)
    if os.environ.get(STATS_ENV):
        # for tests and benchmarks: what the search language did in this build
        with open(os.environ[STATS_ENV], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(stats) + "\n")


def _in_index(state: _State) -> Callable[[str], bool]:
    """Whether a memo word still occurs in the book: the page store holds a Hangul word
    lower-cased (SearchKorean.stem) unless word_filter drops it (stop words: kept, they
    are few and on every page)."""
    if getattr(state, "postings", None) is not None:
        terms = state.postings.terms()
    else:
        terms = set()
        for page in state.store.pages.values():
            terms.update(page.names())
    lang = state.lang

    def live(word: str) -> bool:
        low = word.lower()
        return low in terms or (lang is not None and not lang.word_filter(low))

    return live


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("talkbook_search", True, "env", [bool])
    app.add_config_value("talkbook_search_korean", True, "env", [bool])
    app.add_config_value("talkbook_search_variants", {}, "html", [dict])
    app.add_config_value("talkbook_search_variants_file", "", "html", [str])
    app.add_config_value("talkbook_search_shard_kb", 48, "html", [int])
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _env_get_outdated)
    app.connect("doctree-resolved", _doctree_resolved)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _build_finished)
    return {
        "version": __version__,
        # bump when the index forms change: the env keeps per-doc search terms
        "env_version": 3,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
