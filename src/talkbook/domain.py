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
from .catalog import Catalog, cached_catalog, split_list

# Catalog rows as dependencies, in two kinds, as backlinks are:
#
# *Read* dependencies (``note_use``, ``data["uses"]``): what parsing a page depends on, so
# the page is read again (parse, transforms, pickle) when it changes:
#   "talk:<id>", "conference:<id>", "tag:<id>"  the whole row (a generated page's title);
#   "+talk:<id>", ...                            only whether the row exists (unknown ids
#                                                warn; adding the row clears the warning);
#   "ids:<group>:<id>"                           which talks a group has, in order (toctree);
#   "order:<kind>", "people", "has:people"       a table's row order; the people column.
# Unknown ids are recorded too, so adding the missing row reads the page again. Instead of a
# dependency on the CSV files, which would read every page again when any row changed,
# ``outdated_by_catalog`` compares per-key digests with the last build.
#
# *Shown* rows (``note_view``, ``data["views"]``): what a page shows of the catalog is drawn
# at write time from placeholders (``talkbook.render``), so a change only *writes* the page
# again (``updated_backlinks`` compares one digest per page):
#   "title:talk:<id>"          a row's title and subtitle (the {talk} role's link);
#   "row:talk:<id>", ...       a row and the rows it refers to (cards, generated pages);
#   "list:<group>:<id>"        a talk list (group: conference, tag, related, speaker): the
#                              talks' ids, titles and numbers of covering notes;
#   "index:tags", "index:speakers", "catalog"  the tag and speaker indexes, the catalog table.
CATALOG_KINDS = {"talks": "talk", "conferences": "conference", "tags": "tag"}
TABLE_OF_KIND = {v: k for k, v in CATALOG_KINDS.items()}
GROUPS = ("conference", "tag", "related", "speaker")
SHOWN = ("title", "row", "list", "index", "catalog")  # prefixes of catalog view keys


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


def memo(cat: Catalog) -> dict[str, Any]:
    """Values derived from one loaded catalog, computed once (the catalog is memoised by
    file stamps and shared with forked readers and writers)."""
    return cat.__dict__.setdefault("_talkbook_memo", {})


def people_of(cat: Catalog, talk: dict[str, str]) -> list[str]:
    """Names in a talk's people column, as ``Catalog.people`` splits them."""
    col = cat.people_column
    if col is None:
        return []
    value = talk.get(col.name, "") or ""
    return [n for n in (split_list(value) if col.type == "list" else [value.strip()]) if n]


def groups(cat: Catalog) -> dict[str, dict[str, list[str]]]:
    """group -> id -> ids of its talks in catalog order: the talks of each conference, tag
    and speaker, and each talk's related talks (most shared tags, catalog order breaks
    ties, at most six). One pass over the talks (related: one pass per shared tag)."""
    cache = memo(cat)
    if "groups" in cache:
        return cache["groups"]
    out: dict[str, dict[str, list[str]]] = {g: {} for g in GROUPS}
    talks = cat.rows("talks")
    tags_of: list[list[str]] = []
    for talk in talks:
        for conf in cat.refs("talks", talk, "conferences"):
            out["conference"].setdefault(conf, []).append(talk["id"])
        tags = cat.refs("talks", talk, "tags")
        tags_of.append(tags)
        for tag in dict.fromkeys(tags):
            out["tag"].setdefault(tag, []).append(talk["id"])
        for name in dict.fromkeys(people_of(cat, talk)):
            out["speaker"].setdefault(cat.person_slug(name), []).append(talk["id"])
    position = {t["id"]: i for i, t in enumerate(talks)}
    for i, talk in enumerate(talks):
        shared: dict[str, int] = {}
        for tag in set(tags_of[i]):
            for other in out["tag"].get(tag, []):
                if other != talk["id"]:
                    shared[other] = shared.get(other, 0) + 1
        best = sorted(shared, key=lambda o: (-shared[o], position[o]))[:RELATED_LIMIT]
        out["related"][talk["id"]] = best
    cache["groups"] = out
    return out


RELATED_LIMIT = 6


def talks_in(cat: Catalog, group: str, ident: str) -> list[dict[str, str]]:
    """The talks a list of ``group`` (conference, tag, related, speaker) shows."""
    by_id = cat.rows_by_id("talks")
    return [by_id[t] for t in groups(cat).get(group, {}).get(ident, [])]


def row_shown(cat: Catalog, kind: str, ident: str) -> Any:
    """What a card or a generated page shows of a row: the row, the rows its ref columns
    name (titles, dates) and the page slugs of its people."""
    table = TABLE_OF_KIND.get(kind, "")
    row = cat.rows_by_id(table).get(ident) if table in cat.schema else None
    if row is None:
        return None
    refs = []
    for col in cat.schema[table].columns:
        if col.ref in CATALOG_KINDS and col.ref in cat.schema:
            targets = cat.rows_by_id(col.ref)
            raw = (row.get(col.name) or "").strip()
            items = split_list(raw) if col.type == "list" else [raw] if raw else []
            refs += [(col.ref, item, targets.get(item)) for item in items]
    slugs = [cat.person_slug(n) for n in people_of(cat, row)] if table == "talks" else []
    return [row, refs, slugs]


def catalog_row_digests(cat: Catalog) -> dict[str, str]:
    """One digest per read-dependency key (see the top of this module): per row, per table's
    row order, per group's talk ids, and the people column."""
    cache = memo(cat)
    if "rows" in cache:
        return cache["rows"]
    out = {}
    for table, kind in CATALOG_KINDS.items():
        rows = cat.rows(table)
        for row in rows:
            out[f"{kind}:{row['id']}"] = digest(row)
        out[f"order:{kind}"] = digest([row["id"] for row in rows])
    for group in GROUPS:
        for ident, ids in groups(cat)[group].items():
            out[f"ids:{group}:{ident}"] = digest(ids)
    people = cat.people()
    out["people"] = digest(list(people.items()))
    out["has:people"] = digest(bool(people))
    cache["rows"] = out
    return out


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
        self.__dict__["_cleared"] = True  # a page read again or removed in this build
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
        self.__dict__.pop("_shown_digests", None)
        self.__dict__.pop("_shown_catalog", None)

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
        """One page's signature: the digests of the backlink and catalog keys it shows
        (``"*"``: every backlink key)."""
        shown = sorted(set(digests) | {k for k in keys if k != "*"} if "*" in keys else set(keys))
        return digest(
            [(k, self.shown_digest(k) if is_shown(k) else digests.get(k, "")) for k in shown]
        )

    def shown_digest(self, key: str) -> str:
        """A digest of what a catalog view key shows (see the top of this module),
        computed once per build and key."""
        cache = self.__dict__.get("_shown_digests")
        if cache is None:  # the catalog property checks file stamps: once per build
            cache = self.__dict__["_shown_digests"] = {}
            self.__dict__["_shown_catalog"] = self.catalog
        if key not in cache:
            cache[key] = digest(self._shown(key))
        return cache[key]

    def _shown(self, key: str) -> Any:
        cat = self.__dict__["_shown_catalog"]
        if cat is None:
            return None
        prefix, _sep, rest = key.partition(":")
        kind, _sep, ident = rest.partition(":")
        if prefix == "title":
            table = TABLE_OF_KIND.get(kind, "")
            row = cat.rows_by_id(table).get(ident) if table in cat.schema else None
            sub = cat.schema[table].subtitle if row is not None else None
            return row and [cat.title(table, row), row.get(sub) if sub else None]
        if prefix == "row":
            return row_shown(cat, kind, ident)
        if prefix == "list":
            talks = talks_in(cat, kind, ident)
            return [(t["id"], cat.title("talks", t), len(self.covers_of(t["id"]))) for t in talks]
        if key == "index:tags":
            tagged = groups(cat)["tag"]
            return [
                (t["id"], cat.title("tags", t), len(tagged.get(t["id"], [])))
                for t in cat.rows("tags")
            ]
        if key == "index:speakers":
            talks_by = groups(cat)["speaker"]
            return [(s, name, len(talks_by.get(s, []))) for s, name in cat.people().items()]
        if key == "catalog":
            counts = {tid: len(self.covers_of(tid)) for tid in cat.talk_ids}
            return [catalog_row_digests(cat), counts]
        return None


def is_shown(key: str) -> bool:
    """A catalog view key (drawn at write time), not a backlink key."""
    return key.partition(":")[0] in SHOWN


# --------------------------------------------------------------------------- incremental builds


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
    domain.__dict__["_catalog_changed"] = bool(edited or appeared_or_gone)
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
    """env-get-updated: write again every page whose shown backlinks or catalog rows changed
    (one digest per page over its view keys)."""
    domain: TalkDomain = env.get_domain("talk")  # type: ignore[assignment]
    cleared = domain.__dict__.pop("_cleared", False)
    if not cleared and not domain.__dict__.pop("_catalog_changed", True):
        return []  # no page read or removed, no row changed: nothing shown changed
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


# Sphinx writes the toctree parents of every page it writes (``env.files_to_rebuild``), in
# case the page's title or headings changed. Only a page that was read can have changed them:
# a page written because what it *shows* changed (backlinks, catalog rows, navigation) has
# the same title and headings, so its parents are left alone. ``Builder.write`` reads the
# mapping just after ``write-started`` (guarded in tests/kit/test_row_views.py); the full
# mapping is put back before the first page is resolved, and at build-finished.


def note_read_docs(app: Any, env: BuildEnvironment, docnames: list[str]) -> None:
    """env-before-read-docs: the pages read in this build (main process)."""
    env.get_domain("talk").__dict__["_read_now"] = set(docnames)


def parents_of_read_docs(app: Any, builder: Builder) -> None:
    """write-started: let Sphinx add the toctree parents of the pages read, only."""
    env = builder.env
    domain = env.get_domain("talk")
    read = domain.__dict__.pop("_read_now", None)
    if read is None or "_all_parents" in domain.__dict__:
        return
    parents = env.files_to_rebuild
    domain.__dict__["_all_parents"] = parents
    env.files_to_rebuild = {d: parents[d] for d in read if d in parents}


def restore_parents(app: Any, *args: Any) -> None:
    """doctree-resolved, build-finished: the full mapping again (it is build state)."""
    parents = app.env.get_domain("talk").__dict__.pop("_all_parents", None)
    if parents is not None:
        app.env.files_to_rebuild = parents
