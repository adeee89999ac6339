"""The index's postings kept between builds, so an edit costs what it changes.

Writing the index from the page store walks every (term, page) pair of the book: ~1.5 s
at 1,000 pages, ~11 s at 10,000, on every build that indexes a page. :class:`Postings`
keeps what that walk produces (per term its pages and codes, the covered forms left out,
each kept term's JSON text, the shard each term is in) in
``<doctreedir>/talkbook-search-postings.pickle``. When the pages are the same, in the same
order, as last time, :meth:`Postings.update` patches the terms of the pages indexed again
and recomputes the covered forms only where they can change; the shards of the terms that
changed are written, nothing else. Any other change (a page added, removed or moved, a new
format) builds it again from the store. Either way the files are the same as a clean
build's (``tests/search/test_index_unchanged.py``).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import pickle
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sphinx.util import logging

from ..files import write_atomic

logger = logging.getLogger(__name__)

#: joins terms in the kept file (\w+ terms never hold it)
_SEP = "\x1f"
#: digest of this module: kept postings made by other code are made again
SOURCE_DIGEST = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:16]


def shard_key(term: str) -> str:
    """The part of a term that picks its shard: the first Hangul syllable, else two chars."""
    if "\uac00" <= term[0] <= "\ud7a3":
        return term[0]
    return term[:2]


def shard_of(term: str, nshards: int) -> int:
    """Must match ``shardOf`` in talkbook-search.js."""
    h = 0
    for ch in shard_key(term):
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    return h % nshards


def utf16(term: str) -> bytes:
    """Sort key: JavaScript compares strings by UTF-16 code units (not code points)."""
    return term.encode("utf-16-be", "surrogatepass")


def js_call(callback: str, *args: Any) -> str:
    body = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in args)
    return f"TalkbookSearch.{callback}({body});\n"


class Page(Protocol):
    title: str
    length: int
    links: int

    def entries(self) -> Iterable[tuple[str, int]]: ...

    def names(self) -> Iterable[str]: ...


def postings_text(flat: array | list[int]) -> str:
    """Postings (doc id, code pairs, flat, sorted by doc id) as comma-separated numbers:
    ``doc-delta,code``, or ``-doc-delta`` alone when the code is 1 (one body occurrence,
    nothing else). First sections are masked out of the code: they feed only the proximity
    bonus, which is off (``R.proximity`` 0 in talkbook-search.js)."""
    out: list[str] = []
    prev = -1
    for i in range(0, len(flat), 2):
        doc, code = flat[i], flat[i + 1] & 511
        delta = doc - prev
        prev = doc
        out.append(f"-{delta}" if code == 1 else f"{delta},{code}")
    return ",".join(out)


def _docs(flat: array) -> set[int]:
    return set(flat[::2])


@dataclass
class Postings:
    """Everything :func:`talkbook.search.engine.write_index` derives from the pages."""

    key: str  # format, settings and particles it was made with
    docs: list[str]  # docnames in reading order: position = doc id
    shard_bytes: int
    particles: frozenset[str]
    table: dict[str, array] = field(default_factory=dict)  # term -> doc, code, doc, code...
    dropped: set[str] = field(default_factory=set)  # covered forms, left out
    texts: dict[str, str] = field(default_factory=dict)  # kept term -> '"term":[...]'
    total: int = 0  # the shard-count estimate's bytes
    nshards: int = 1
    members: list[set[str]] = field(default_factory=list)  # shard -> kept terms

    # ---------------------------------------------------------------- from scratch
    @classmethod
    def build(
        cls, key: str, docnames: list[str], pages: list[Page], shard_bytes: int, particles: Any
    ) -> Postings:
        self = cls(key, list(docnames), shard_bytes, frozenset(particles or ()))
        table: dict[str, list[int]] = {}
        for doc_id, page in enumerate(pages):
            for term, code in page.entries():
                flat = table.get(term)
                if flat is None:
                    table[term] = [doc_id, code]
                else:
                    flat += (doc_id, code)
        self.table = {t: array("I", flat) for t, flat in table.items()}
        del table
        if self.particles:
            for term in sorted(self.table, key=len):
                if self._covered(term):
                    self.dropped.add(term)
        for term in self.table:
            if term not in self.dropped:
                self._set_text(term)
        self._layout()
        return self

    def _covered(self, term: str) -> bool:
        """A word + particle (consumer + object particle) whose pages all hold the shortest kept stem the
        query side strips it to (stemmer_js tries particles longest first, before any other
        ending): the browser finds its pages through the stem; about a fifth of a Korean
        index. Depends only on shorter terms, so terms are decided shortest first."""
        if not any("\uac00" <= ch <= "\ud7a3" for ch in term):
            return False
        for cut in range(1, len(term)):
            stem = term[:cut]
            if term[cut:] in self.particles and stem in self.table and stem not in self.dropped:
                return _docs(self.table[term]) <= _docs(self.table[stem])
        return False

    def _set_text(self, term: str) -> None:
        if "\t" in term or "\n" in term:  # never from \w+ runs; would break a shard's lines
            return
        body = postings_text(self.table[term])
        self.texts[term] = f"{term}\t{body}"
        # bytes per term, roughly as written: the term, the numbers, separators
        self.total += len(term.encode()) + 5 + len(body)

    def _drop_text(self, term: str) -> None:
        text = self.texts.pop(term, None)
        if text is not None:
            self.total -= len(term.encode()) + 5 + (len(text) - len(term) - 1)

    def _count(self) -> int:
        return max(1, min(4096, math.ceil(self.total / max(1024, self.shard_bytes))))

    def _layout(self) -> None:
        self.nshards = self._count()
        self.members = [set() for _ in range(self.nshards)]
        for term in self.texts:
            self.members[shard_of(term, self.nshards)].add(term)

    # ---------------------------------------------------------------- patch
    def update(self, changed: dict[int, tuple[Page | None, Page | None]]) -> set[int] | None:
        """Patch the postings for the pages re-indexed: doc id -> (old page, new page).
        Returns the shards to write again (None: all of them, the count changed)."""
        # only the terms whose (page, code) pair changed: an edited paragraph leaves most
        # of a page's terms, and so most posting lists, as they were
        fresh: dict[str, dict[int, int | None]] = {}  # term -> doc -> new code (None: gone)
        for doc_id, (old, new) in changed.items():
            before = dict(old.entries()) if old is not None else {}
            after = dict(new.entries()) if new is not None else {}
            for term in before.keys() | after.keys():
                code = after.get(term)
                if before.get(term) != code:
                    fresh.setdefault(term, {})[doc_id] = code
        affected = set(fresh)
        for term, docs in fresh.items():
            flat = self.table.get(term)
            pairs = (
                [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2) if flat[i] not in docs]
                if flat is not None
                else []
            )
            pairs += [(d, c) for d, c in docs.items() if c is not None]
            if pairs:
                pairs.sort()
                self.table[term] = array("I", [n for pair in pairs for n in pair])
            else:
                self.table.pop(term, None)
        # covered forms: a term's status depends on its pages and its stems' (shorter
        # terms); recheck the affected terms and, shortest first, every longer term that
        # extends one whose pages or status changed
        touched: set[str] = set()
        heap = [(len(t), t) for t in affected]
        heapq.heapify(heap)
        seen: set[str] = set()
        while heap:
            _, term = heapq.heappop(heap)
            if term in seen:
                continue
            seen.add(term)
            was_kept = term in self.texts
            gone = term not in self.table
            dropped = not gone and bool(self.particles) and self._covered(term)
            if dropped:
                self.dropped.add(term)
            else:
                self.dropped.discard(term)
            kept = not gone and not dropped
            if term in affected or kept != was_kept:
                touched.add(term)
                for particle in self.particles:
                    longer = term + particle
                    if longer in self.table and longer not in seen:
                        heapq.heappush(heap, (len(longer), longer))
        dirty: set[int] = set()
        for term in touched:
            was = term in self.texts
            self._drop_text(term)
            if term in self.table and term not in self.dropped:
                self._set_text(term)
            if was or term in self.texts:
                dirty.add(shard_of(term, self.nshards))
        if self._count() != self.nshards:
            self._layout()
            return None
        for term in touched:
            shard = self.members[shard_of(term, self.nshards)]
            if term in self.texts:
                shard.add(term)
            else:
                shard.discard(term)
        return dirty

    # ---------------------------------------------------------------- output
    def shard_text(self, i: int) -> bytes:
        """``TalkbookSearch.shard(i, "...")``: one string of ``term<TAB>postings`` lines in
        JavaScript's string order (the browser finds a term by binary search)."""
        lines = "\n".join(self.texts[t] for t in sorted(self.members[i], key=utf16))
        return js_call("shard", i, lines).encode()

    def terms(self) -> set[str]:
        """Every term of the book's pages (covered forms too)."""
        return set(self.table)

    # ---------------------------------------------------------------- keeping
    def __getstate__(self) -> dict[str, Any]:
        """A few large strings and arrays instead of ~10 objects per term: pickling
        300,000 small arrays, sets and strings cost more than patching them."""
        terms = list(self.table)
        blob = array("I")
        for flat in self.table.values():
            blob.extend(flat)
        texts = list(self.texts)
        shards = array("H", (0 for _ in texts))
        where = {t: i for i, t in enumerate(texts)}
        for shard, members in enumerate(self.members):
            for term in members:
                shards[where[term]] = shard
        return {
            "head": (self.key, self.docs, self.shard_bytes, self.particles, self.total),
            "nshards": self.nshards,
            "terms": _SEP.join(terms),
            "lengths": array("I", (len(f) for f in self.table.values())).tobytes(),
            "blob": blob.tobytes(),
            "dropped": _SEP.join(sorted(self.dropped)),
            "texts": "\n".join(self.texts[t] for t in texts),
            "shards": shards.tobytes(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.key, self.docs, self.shard_bytes, self.particles, self.total = state["head"]
        self.nshards = state["nshards"]
        terms = state["terms"].split(_SEP) if state["terms"] else []
        lengths = array("I", state["lengths"])
        blob = array("I", state["blob"])
        self.table = {}
        at = 0
        for term, n in zip(terms, lengths, strict=True):
            self.table[term] = blob[at : at + n]
            at += n
        self.dropped = set(state["dropped"].split(_SEP)) if state["dropped"] else set()
        lines = state["texts"].split("\n") if state["texts"] else []
        self.texts = {line[: line.index("\t")]: line for line in lines}
        self.members = [set() for _ in range(self.nshards)]
        for term, shard in zip(self.texts, array("H", state["shards"]), strict=True):
            self.members[shard].add(term)

    def save(self, path: Path, generation: str) -> None:
        try:
            write_atomic(path, pickle.dumps((generation, self), protocol=5), sync=False)
        except OSError as err:
            logger.warning("talkbook.search: postings not saved (%s)", err)

    @staticmethod
    def load(path: Path, generation: str) -> Postings | None:
        try:
            with open(path, "rb") as fh:
                kept_generation, postings = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception:  # truncated or foreign: built again from the page store
            return None
        if kept_generation != generation or not isinstance(postings, Postings):
            return None
        return postings
