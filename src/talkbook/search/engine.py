"""The talkbook search index: per-page term statistics, written as small shards.

Sphinx's ``searchindex.js`` keeps, per term, only the set of pages that hold it, and the
theme loads the whole file on every page.  This module keeps what a ranking needs and
writes it so a reader downloads only what a query touches:

* :class:`PageCollector` walks a resolved doctree (the same visible text Sphinx indexes,
  but form controls and scripts of raw HTML left out) and counts, per index term, its
  occurrences in the body, whether it is in the page title, how often it is in a section
  title, and the section where it first occurs (for the proximity bonus);
* :class:`PageStore` keeps these counts per page next to the environment, so an
  incremental build only re-collects the pages it writes;
* :func:`write_index` writes ``_static/talkbook-search/``: ``meta.js`` (pages, their
  titles, lengths and link-text words, the query-side settings) and ``s<N>.js``
  shards, each holding the terms whose first character (first two for non-Hangul)
  hashes to it.  The browser loads ``meta.js`` and the shards of the query's words only
  when someone searches.

A shard is ``TalkbookSearch.shard(N, "...")``: one string of ``term<TAB>postings`` lines,
sorted by the term's UTF-16 code units (JavaScript's string order), postings as
comma-separated numbers.  A string literal is almost free for the browser to parse and the
engine finds a term by binary search, decoding only the postings a query uses (an object
literal of every term's array cost 10-25 ms per hot shard at 10,000 pages).
A posting is ``doc-delta, code`` (``-doc-delta`` alone when code is 1: one body occurrence,
nothing else), code = ``tf | in_title << 6 | section_titles << 7 | first_section << 9``.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import pickle
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

from ..files import write_atomic, write_if_changed
from .postings import Postings, js_call, shard_key, shard_of, utf16  # noqa: F401 (API)

logger = logging.getLogger(__name__)

#: bump when the stored page data or the written format changes
FORMAT_VERSION = 3
#: the page store, next to the environment pickle
STORE_FILENAME = "talkbook-search-pages.pickle"
#: folder (under the HTML output) of the index and the engine
OUT_DIR = "_static/talkbook-search"
#: digest of this module as imported
_SOURCE_DIGEST = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:16]
HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
#: a word as Sphinx's search languages see it (each is split into index terms alone)
_WORD_RE = re.compile(r"\w+")
#: caps of the packed posting code
TF_CAP, SECTION_TITLE_CAP, SECTION_CAP = 63, 3, 1023
#: joins a stored page's terms (\w+ words never hold it)
_SEP = "\x1f"

#: raw-HTML elements whose text is not page text: form controls and code
_SKIP_HTML = frozenset(
    {
        "script",
        "style",
        "select",
        "option",
        "optgroup",
        "textarea",
        "button",
        "datalist",
        "template",
        "noscript",
        "svg",
        "math",
        "head",
        "title",
    }
)


class _HTMLText(html.parser.HTMLParser):
    """Visible text of a raw-HTML fragment, one chunk per text node (never glued)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_HTML:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_HTML and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data)


def html_text(fragment: str) -> list[str]:
    """Text chunks of raw HTML without scripts, styles and form controls."""
    parser = _HTMLText()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # malformed HTML from a stranger: index nothing rather than fail
        return []
    return parser.chunks


@dataclass
class PageTerms:
    """What the index keeps of one page."""

    title: str
    length: int = 0  # body words (BM25 length normalisation)
    links: int = 0  # of which link text: a page made mostly of links is a hub, not an answer
    #: term -> [body count, in page title, section-title count, first section, link-text count]
    terms: dict[str, list[int]] = field(default_factory=dict)

    def code(self, term: str) -> int:
        body, in_title, sec, first, anchor = self.terms[term]
        # link text describes the page it links to more than this one: a third of a word
        tf = body + (anchor + 2) // 3
        return (
            min(tf, TF_CAP)
            | min(in_title, 1) << 6
            | min(sec, SECTION_TITLE_CAP) << 7
            | min(first, SECTION_CAP) << 9
        )

    def entries(self) -> Iterable[tuple[str, int]]:
        """(term, packed code) pairs."""
        return ((term, self.code(term)) for term in self.terms)

    def names(self) -> Iterable[str]:
        return iter(self.terms)

    def frozen(self) -> StoredPage:
        """The compact form the page store keeps."""
        names = list(self.terms)
        codes = array("I", (self.code(t) for t in names))
        return StoredPage(self.title, self.length, self.links, _SEP.join(names), codes.tobytes())


@dataclass(frozen=True)
class StoredPage:
    """A page's terms as the store keeps them: the terms joined in one string and their
    codes in one byte string. A thousand pages of ~500 terms are a million small objects
    as dicts of lists, and loading them cost more than the rest of an incremental build's
    index work."""

    title: str
    length: int
    links: int
    terms: str  # joined with _SEP (a control character no index term holds)
    codes: bytes  # array("I")

    def entries(self) -> Iterable[tuple[str, int]]:
        return zip(self.names(), array("I", self.codes), strict=True)

    def names(self) -> list[str]:
        return self.terms.split(_SEP) if self.terms else []


class PageCollector(nodes.NodeVisitor):
    """Collect :class:`PageTerms` from a resolved doctree with a Sphinx SearchLanguage."""

    def __init__(self, document: nodes.document, lang: Any, page_title: str) -> None:
        super().__init__(document)
        self.lang = lang
        self.section = -1  # the page's own (first) section is 0
        self._links = 0  # depth of reference nodes (link text)
        self.page = PageTerms(title=page_title)
        self._stem_cache: dict[str, str | None] = {}
        for term in self._terms([page_title]):
            self._entry(term)[1] = 1

    # -- words -> index terms, as sphinx.search.IndexBuilder.feed does
    def _term(self, word: str) -> str | None:
        cached = self._stem_cache.get(word, "")
        if cached != "":
            return cached
        stemmed = self.lang.stem(word).lower()
        if self.lang.word_filter(stemmed):
            term: str | None = stemmed
        elif self.lang.word_filter(word):
            term = word.lower()
        else:
            term = None
        self._stem_cache[word] = term
        return term

    def _terms(self, texts: Iterable[str]) -> Iterable[str]:
        for words in self._words(texts):
            yield from words

    def _words(self, texts: Iterable[str]) -> Iterable[set[str]]:
        """Per word of the text, its distinct index terms (a surface form and its noun are
        often the same string: one occurrence must count once)."""
        for text in texts:
            for m in _WORD_RE.finditer(text):
                terms = {t for t in map(self._term, self.lang.split(m.group())) if t}
                if terms:
                    yield terms

    def _entry(self, term: str) -> list[int]:
        entry = self.page.terms.get(term)
        if entry is None:
            entry = self.page.terms[term] = [0, 0, 0, max(0, self.section), 0]
        return entry

    def _body(self, texts: Iterable[str]) -> None:
        slot = 4 if self._links else 0
        for terms in self._words(texts):
            self.page.length += 1
            if self._links:
                self.page.links += 1
            for term in terms:
                self._entry(term)[slot] += 1

    # -- the visitor
    def dispatch_visit(self, node: nodes.Node) -> None:
        if isinstance(node, (nodes.comment, nodes.system_message, nodes.substitution_definition)):
            raise nodes.SkipNode
        if isinstance(node, nodes.raw):
            if "html" in node.get("format", "").split():
                self._body(html_text(node.astext()))
            raise nodes.SkipNode
        if isinstance(node, nodes.reference):
            self._links += 1
        elif isinstance(node, nodes.section):
            self.section += 1
        elif isinstance(node, nodes.title) and isinstance(node.parent, nodes.section):
            for term in set(self._terms([node.astext()])):
                self._entry(term)[2] += 1
            raise nodes.SkipNode
        elif isinstance(node, nodes.term):
            # a defined term labels its text like a heading; a glossary entry is the
            # book's definition of the word: as strong as three section titles
            glossary = any(isinstance(a, addnodes.glossary) for a in _ancestors(node))
            for term in set(self._terms([node.astext()])):
                self._entry(term)[2] += SECTION_TITLE_CAP if glossary else 1
        elif isinstance(node, addnodes.index):
            # index directive entries: words the author chose for this place
            words = []
            for _type, value, *_rest in node.get("entries", ()):
                words.extend(re.split(r"[;!]", value))
            for term in set(self._terms(words)):
                self._entry(term)[2] += 1
            raise nodes.SkipNode
        elif isinstance(node, nodes.Text):
            self._body([node.astext()])

    def dispatch_departure(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.reference):
            self._links -= 1

    def unknown_visit(self, node: nodes.Node) -> None:
        pass

    def unknown_departure(self, node: nodes.Node) -> None:
        pass


def _ancestors(node: nodes.Node) -> Iterable[nodes.Node]:
    while node.parent is not None:
        node = node.parent
        yield node


def collect(doctree: nodes.document, lang: Any, title: str) -> PageTerms:
    collector = PageCollector(doctree, lang, title)
    doctree.walkabout(collector)
    return collector.page


def store_version() -> str:
    """What stored page terms depend on: this module and the Korean analysis (any edit
    re-collects every page, through env-get-outdated)."""
    from .korean import memo_version

    return f"{FORMAT_VERSION} {_SOURCE_DIGEST} {memo_version()}"


class PageStore:
    """Per-page terms kept across builds (``<doctreedir>/talkbook-search-pages.pickle``)."""

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.version = version
        self.pages: dict[str, StoredPage] = {}
        self.complete = False  # loaded from a previous build of the same format
        #: names this content of the store; the kept postings carry the same name
        self.generation = ""

    def load(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                data = pickle.load(fh)
            if isinstance(data, dict) and data.get("version") == self.version:
                self.pages = data["pages"]
                self.generation = data.get("generation", "")
                self.complete = True
        except FileNotFoundError:
            pass
        except Exception:  # truncated or foreign: start again (every page is re-read)
            logger.info("talkbook.search: unreadable page store %s, starting afresh", self.path)

    def save(self) -> None:
        self.generation = os.urandom(8).hex()
        data = pickle.dumps(
            {"version": self.version, "generation": self.generation, "pages": self.pages},
            protocol=5,
        )
        try:
            write_atomic(self.path, data)
        except OSError as err:
            logger.warning("talkbook.search: page store not saved (%s)", err)


# --------------------------------------------------------------------------- writing
def write_index(
    outdir: Path,
    pages: list[tuple[str, str, PageTerms | StoredPage]],
    settings: dict[str, Any],
    shard_bytes: int,
    suffixes: list[str] | None = None,
    postings: Postings | None = None,
    dirty: set[int] | None = None,
) -> dict[str, int]:
    """Write meta.js and the shards for *pages* (docname, url, terms) in reading order.
    *suffixes*: particles the query side strips (Korean), see ``Postings._covered``.
    *postings*: made from *pages* already (kept from the last build and patched), with
    *dirty* the shards that changed (None: any may have); by default made here.

    A file whose text is already there is left alone; each is replaced atomically, the
    shards before meta.js, which names how many there are.

    Returns sizes: ``meta``, ``shards``, ``nshards``, ``largest``, ``written``.
    """
    target = outdir / OUT_DIR
    target.mkdir(parents=True, exist_ok=True)
    if postings is None:
        names = [d for d, _u, _p in pages]
        terms = [p for _d, _u, p in pages]
        postings = Postings.build("", names, terms, shard_bytes, suffixes)
        dirty = None
    nshards = postings.nshards
    lengths = [p.length for _d, _u, p in pages]
    meta = {
        "v": FORMAT_VERSION,
        "n": nshards,
        "docs": [[url, page.title, page.length, page.links] for _d, url, page in pages],
        "avglen": (sum(lengths) / len(lengths)) if lengths else 1,
        **settings,
    }
    sizes = {"nshards": nshards, "shards": 0, "largest": 0, "written": 0}
    for i in range(nshards):
        path = target / f"s{i}.js"
        if dirty is None or i in dirty or not path.is_file():
            sizes["written"] += write_if_changed(path, postings.shard_text(i), sync=False)
        size = path.stat().st_size
        sizes["shards"] += size
        sizes["largest"] = max(sizes["largest"], size)
    meta_data = js_call("meta", meta).encode()
    sizes["written"] += write_if_changed(target / "meta.js", meta_data, sync=False)
    sizes["meta"] = len(meta_data)
    for old in target.glob("s[0-9]*.js"):
        if not old.stem[1:].isdigit() or int(old.stem[1:]) >= nshards:
            old.unlink()
    return sizes


def reading_order(env: Any, root: str, docs: Iterable[str]) -> list[str]:
    """Docnames in table-of-contents order (depth first from the root), the rest after,
    sorted: ties in ranking go to the page a reader meets first."""
    wanted = set(docs)
    order: list[str] = []
    seen: set[str] = set()
    stack = [root]
    while stack:
        doc = stack.pop()
        if doc in seen:
            continue
        seen.add(doc)
        if doc in wanted:
            order.append(doc)
        stack.extend(reversed(env.toctree_includes.get(doc, [])))
    order.extend(sorted(wanted - seen))
    return order


def load_variants(path: Path) -> dict[str, str]:
    """A variant table file: JSON object, or CSV/TSV lines ``variant,canonical``
    (``#`` comments).  Raises ValueError with ``file:line: problem (fix)``."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{err.lineno}: not JSON: {err.msg} (fix the syntax)") from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ValueError(f'{path}:1: expected an object of strings ("variant": "canonical")')
        return {k.strip().lower(): v.strip().lower() for k, v in data.items() if k.strip()}
    out: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in re.split(r"[,\t]", line)]
        if len(parts) != 2 or not all(parts):
            raise ValueError(
                f"{path}:{lineno}: expected 'variant,canonical', got {line[:60]!r} "
                "(one pair per line)"
            )
        key = parts[0].lower()
        out[key] = f"{out[key]} {parts[1].lower()}" if key in out else parts[1].lower()
    return out


DEFAULT_VARIANTS_FILE = Path(__file__).parent / "variants.csv"


def variant_table(extra: dict[str, str], extra_file: Path | None) -> dict[str, str]:
    table = load_variants(DEFAULT_VARIANTS_FILE)
    if extra_file is not None:
        table.update(load_variants(extra_file))
    table.update({k.lower(): v.lower() for k, v in extra.items()})
    return table


def stemmed_variants(table: dict[str, str], stem: Callable[[str], str]) -> dict[str, list[str]]:
    """Variant -> canonical index terms (the canonical form split and stemmed like page text)."""
    return {k: [stem(w) for w in v.split()] for k, v in table.items()}


def read_index(html: Path) -> tuple[list[str], dict[str, set[int]]]:
    """The written index of an HTML folder: page URLs and term -> page numbers (for tests
    and tools; the browser reads the same files)."""
    folder = Path(html) / OUT_DIR

    def payload(path: Path) -> list[Any]:
        text = path.read_text(encoding="utf-8")
        return json.loads("[" + text[text.index("(") + 1 : text.rindex(")")] + "]")

    meta = payload(folder / "meta.js")[0]
    terms: dict[str, set[int]] = {}
    for i in range(meta["n"]):
        _num, text = payload(folder / f"s{i}.js")
        for line in text.split("\n") if text else ():
            term, numbers = line.split("\t")
            raw = [int(n) for n in numbers.split(",")]
            docs, doc, j = set(), -1, 0
            while j < len(raw):
                if raw[j] < 0:
                    doc -= raw[j]
                else:
                    doc += raw[j]
                    j += 1
                docs.add(doc)
                j += 1
            terms[term] = docs
    return [d[0] for d in meta["docs"]], terms
