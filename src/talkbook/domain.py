"""The ``talk`` domain: which sections cover and which pages mention which talks, the
front matter of every page, and which catalog rows each page shows.

All state that spans documents lives here, keyed by docname, so incremental and parallel
builds stay correct (``clear_doc`` / ``merge_domaindata``). Links to generated pages are
ordinary cross-references (``pending_xref`` with ``refdomain="talk"``) that this domain
resolves for every builder, as ablog resolves its archive pages.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.builders import Builder
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode

from . import config as tb_config
from .catalog import Catalog, cached_catalog

# Catalog rows as dependencies. A page records the rows it shows (or checks) as keys:
#   "talk:<id>", "conference:<id>", "tag:<id>"  the row's content (title, labels, ...);
#   "+talk:<id>", ...                            only whether the row exists (front matter);
#   "*"                                          every row and the order of every table.
# Unknown ids are recorded too, so adding the missing row reads the page again (and clears
# its warning). Instead of a dependency on the CSV files, which would read every page again
# when any row changed, ``outdated_by_catalog`` compares per-row digests with the last build.
CATALOG_KINDS = {"talks": "talk", "conferences": "conference", "tags": "tag"}


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


class TalkDomain(Domain):
    """Backlinks and catalog dependencies, per docname."""

    name = "talk"
    label = "Talks"
    object_types = {
        "talk": ObjType("talk", "talk"),
        "conference": ObjType("conference", "conference"),
        "tag": ObjType("tag", "tag"),
        "speaker": ObjType("speaker", "speaker"),
    }
    initial_data: dict[str, Any] = {
        "covers": {},  # docname -> [(talk_id, anchor, section title, line)]
        "mentions": {},  # docname -> [talk_id, ...]
        "pages": {},  # docname -> {"title", "kind", "conference", "tags", "talks", ...}
        "views": {},  # docname -> backlink keys the page shows ("covers:<id>", "*", ...)
        "uses": {},  # docname -> catalog keys the page shows or checks
        "signatures": {},  # docname -> digest of the backlinks last shown (main process only)
        "rows": {},  # catalog key -> digest of the row when last read (main process only)
    }
    PER_DOC = ("covers", "mentions", "pages", "views", "uses")

    # -- the catalog (loaded and validated at config-inited; memoised by file digests)

    @property
    def catalog(self) -> Catalog | None:
        return cached_catalog(tb_config.data_dir(self.env.app))

    # -- per-document state

    def clear_doc(self, docname: str) -> None:
        self.forget_index()
        for key in self.PER_DOC:
            self.data[key].pop(docname, None)

    def merge_domaindata(self, docnames: set[str], otherdata: dict[str, Any]) -> None:
        self.forget_index()
        for key in self.PER_DOC:
            for docname in docnames:
                if docname in otherdata[key]:
                    self.data[key][docname] = otherdata[key][docname]

    def note_use(self, docname: str, *keys: str) -> None:
        """The page shows (or checks) these catalog rows: read it again when they change."""
        self.data["uses"].setdefault(docname, set()).update(keys)

    def note_view(self, docname: str, *keys: str) -> None:
        """The page shows these backlinks: write it again when they change."""
        views = self.data["views"].setdefault(docname, [])
        views.extend(k for k in keys if k not in views)

    # -- cross-references to generated pages

    def docname_of(self, kind: str, ident: str) -> str:
        folder = tb_config.read(self.env.config).generated_folders[kind]
        return f"{folder}/{ident}"

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        if typ == "doc":
            docname = target
        elif typ == "tags":
            docname = self.docname_of("tag", "index")
        elif typ in self.object_types:
            docname = self.docname_of(typ, target)
        else:
            return None
        if docname not in env.all_docs:
            return None
        anchor = node.get("talkbook_anchor", "")
        ref = make_refnode(builder, fromdocname, docname, anchor, contnode)
        ref["classes"] += node.get("classes", [])
        if node.get("reftitle"):
            ref["reftitle"] = node["reftitle"]
        return ref

    def resolve_any_xref(self, env, fromdocname, builder, target, node, contnode):  # noqa: D102
        return []

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        cat = self.catalog
        if cat is None:
            return
        # the generated pages are documents (searched by their text); -1 keeps the objects
        # out of the search results while other tools (intersphinx) still see them
        for talk_id in cat.talk_ids:
            docname = self.docname_of("talk", talk_id)
            if docname in self.env.all_docs:
                yield (talk_id, cat.talk(talk_id)["title"], "talk", docname, "", -1)

    # -- queries, indexed by talk once per build (a scan per call made writing O(N^2))

    def _index(self) -> dict[str, Any]:
        index = self.__dict__.get("_by_talk")
        if index is None:
            covers: dict[str, list[tuple[str, str, str]]] = {}
            mentions: dict[str, list[str]] = {}
            for doc, cs in sorted(self.data["covers"].items()):
                for tid, anchor, title, _ in cs:
                    covers.setdefault(tid, []).append((doc, anchor, title))
            for doc, ids in sorted(self.data["mentions"].items()):
                for tid in ids:
                    mentions.setdefault(tid, []).append(doc)
            index = self.__dict__["_by_talk"] = {"covers": covers, "mentions": mentions}
        return index

    def forget_index(self) -> None:
        self.__dict__.pop("_by_talk", None)

    def covers_of(self, talk_id: str) -> list[tuple[str, str, str]]:
        """(docname, anchor, section title) of every section covering the talk, in doc order."""
        return list(self._index()["covers"].get(talk_id, []))

    def mentions_of(self, talk_id: str) -> list[str]:
        return list(self._index()["mentions"].get(talk_id, []))

    def pages_with(self, field: str, value: str) -> list[str]:
        """Documents whose front matter ``field`` is or contains ``value``, sorted by title."""
        out = []
        for doc, page in self.data["pages"].items():
            have = page.get(field)
            if have == value or (isinstance(have, list) and value in have):
                out.append(doc)
        return sorted(out, key=lambda d: (self.data["pages"][d].get("title", d), d))

    def title_of(self, docname: str) -> str:
        return self.data["pages"].get(docname, {}).get("title", docname)

    def view_digests(self) -> dict[str, str]:
        """Per backlink key, a digest of what it shows (computed once per build: O(N))."""
        index = self._index()
        pages = self.data["pages"]
        out = {}
        for tid in set(index["covers"]) | set(index["mentions"]):
            covers = [(d, a, t, self.title_of(d)) for d, a, t in index["covers"].get(tid, [])]
            mentions = [(d, self.title_of(d)) for d in index["mentions"].get(tid, [])]
            out[f"covers:{tid}"] = digest([covers, mentions])
        for field in ("conference", "tags"):
            groups: dict[str, list[Any]] = {}
            for doc, page in sorted(pages.items()):
                values = page.get(field)
                for v in values if isinstance(values, list) else [values] if values else []:
                    groups.setdefault(v, []).append((doc, page.get("title"), page.get("kind")))
            for v, docs in groups.items():
                out[f"{field}:{v}"] = digest(docs)
        return out

    def views_digest(self, keys: list[str], digests: dict[str, str]) -> str:
        if "*" in keys:
            shown = sorted(digests)
        else:
            shown = sorted(set(keys))
        return digest([(k, digests.get(k, "")) for k in shown])


# --------------------------------------------------------------------------- incremental builds


def catalog_row_digests(cat: Catalog) -> dict[str, str]:
    """One digest per catalog row ("talk:<id>" ...) and per table's row order ("order:talk")."""
    out = {}
    for table, kind in CATALOG_KINDS.items():
        rows = cat.rows(table)
        for row in rows:
            out[f"{kind}:{row['id']}"] = digest(row)
        out[f"order:{kind}"] = digest([row["id"] for row in rows])
    return out


def outdated_by_catalog(
    app: Any, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """env-get-outdated: read again the pages that show or check a catalog row added,
    removed or edited since the last build (main process, before reading)."""
    domain: TalkDomain = env.get_domain("talk")  # type: ignore[assignment]
    cat = domain.catalog
    new = catalog_row_digests(cat) if cat is not None else {}
    old = domain.data["rows"]
    domain.data["rows"] = new
    edited = {k for k in new.keys() & old.keys() if new[k] != old[k]}
    appeared_or_gone = set(new.keys() ^ old.keys())
    if not (edited or appeared_or_gone):
        return []
    content = edited | appeared_or_gone
    existence = {f"+{k}" for k in appeared_or_gone}
    return sorted(
        doc
        for doc, uses in domain.data["uses"].items()
        if doc in env.found_docs
        and ("*" in uses or not uses.isdisjoint(content) or not uses.isdisjoint(existence))
    )


def updated_backlinks(app: Any, env: BuildEnvironment) -> list[str]:
    """env-get-updated: write again every page whose shown backlinks changed."""
    domain: TalkDomain = env.get_domain("talk")  # type: ignore[assignment]
    domain.forget_index()  # documents were read: index them again
    digests = domain.view_digests()
    changed = []
    for docname, keys in domain.data["views"].items():
        if not keys:
            continue
        value = domain.views_digest(keys, digests)
        if domain.data["signatures"].get(docname) != value:
            domain.data["signatures"][docname] = value
            changed.append(docname)
    for docname in list(domain.data["signatures"]):
        if docname not in env.all_docs:
            del domain.data["signatures"][docname]
    return changed
