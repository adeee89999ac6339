"""Sphinx extension: the ``{talk}`` role, the ``talk-card`` and ``talk-catalog`` directives,
the ``talk`` domain that holds backlinks, and generated talk/conference/tag pages.

State that spans documents lives in :class:`TalkDomain`, keyed by docname, so incremental and
parallel builds stay correct (``clear_doc``/``merge_domaindata``). Pages whose backlinks change
are returned from ``env-get-updated`` so they are written again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.osutil import relative_uri

from . import __version__, pages
from . import config as tb_config
from .catalog import Catalog, CatalogError, load_catalog, split_list
from .frontmatter import load_field_specs, parse_front_matter, quote_dates, validate_front_matter

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- nodes


class pending_talk_ref(nodes.reference):
    """A link to a generated page (talk, conference, tag); its URI is set per builder."""


class talk_card(nodes.container):
    """The card a ``talk-card`` directive renders."""


class talk_backrefs(nodes.General, nodes.Element):
    """Placeholder for "also covered in" links, filled once all documents are read."""


class talk_coverage(nodes.General, nodes.Inline, nodes.Element):
    """Placeholder for the number of note sections covering a talk (catalog table)."""


# --------------------------------------------------------------------------- helpers


def catalog_of(app: Sphinx) -> Catalog:
    """The catalog loaded at config time (shared by forked parallel readers)."""
    return app.talkbook_catalog  # type: ignore[attr-defined]


def page_target(app: Sphinx, kind: str, ident: str) -> str:
    cfg = tb_config.read(app.config)
    folder = {"talk": cfg.talks_path, "conference": cfg.conferences_path, "tag": cfg.tags_path}[
        kind
    ]
    return f"{folder}/{ident}"


def page_ref(
    app: Sphinx, kind: str, ident: str, text: str, classes: Iterable[str] = ()
) -> pending_talk_ref:
    node = pending_talk_ref(
        "", "", internal=True, classes=["talkbook-ref", f"talkbook-{kind}-ref", *classes]
    )
    node["talkbook_target"] = page_target(app, kind, ident)
    node += nodes.Text(text)
    return node


# Catalog rows as dependencies. A page records the rows it shows (or checks) as keys:
#   "talk:<id>", "conference:<id>", "tag:<id>"  the row's content (title, labels, ...);
#   "+talk:<id>", ...                            only whether the row exists (front matter);
#   "*"                                          every row and the order of every table.
# Unknown ids are recorded too, so adding the missing row reads the page again (and clears
# its warning). Instead of a dependency on the CSV files, which read every page again when
# any row changed, ``on_env_get_outdated`` compares per-row digests with the last build's.
# (The "did you mean" hints of unknown-id warnings list close ids from the whole table;
# they are not kept up to date with rows added elsewhere, a cosmetic difference only.)
CATALOG_KINDS = {"talks": "talk", "conferences": "conference", "tags": "tag"}


def note_catalog_use(env: BuildEnvironment, *keys: str, docname: str | None = None) -> None:
    """The page being read shows (or checks) these catalog rows: read it again when they change."""
    uses = env.get_domain("talk").data["uses"]
    uses.setdefault(docname or env.docname, set()).update(keys)


def talk_keys(cat: Catalog, talk_id: str) -> list[str]:
    """The rows a talk's title and conference label come from."""
    if not cat.has_talk(talk_id):
        return [f"talk:{talk_id}"]
    return [f"talk:{talk_id}", f"conference:{cat.talk(talk_id)['conference']}"]


def catalog_row_digests(cat: Catalog) -> dict[str, str]:
    """One digest per catalog row ("talk:<id>" ...) and per table's row order ("order:talk")."""

    def digest(value: Any) -> str:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(text.encode()).hexdigest()

    out = {}
    for table, kind in CATALOG_KINDS.items():
        rows = getattr(cat, table).to_dict("records")
        for row in rows:
            out[f"{kind}:{row['id']}"] = digest(row)
        out[f"order:{kind}"] = digest([row["id"] for row in rows])
    return out


def conference_label(cat: Catalog, talk: dict[str, str]) -> str:
    conf = cat.conference(talk["conference"])
    return f"{conf['name']} · {talk['day']}일차" if talk["day"] else conf["name"]


def known_talk(env: BuildEnvironment, talk_id: str, location: str) -> bool:
    """True when the catalog has the id; otherwise warn at the page and line, with suggestions."""
    cat = catalog_of(env.app)
    note_catalog_use(env, *talk_keys(cat, talk_id))
    if cat.has_talk(talk_id):
        return True
    close = cat.closest_talks(talk_id)
    hint = (
        f" — did you mean {', '.join(close)}?" if close else " — ids are listed in data/talks.csv"
    )
    logger.warning(
        f"unknown talk id {talk_id!r}{hint}",
        location=location,
        type="talkbook",
        subtype="unknown-talk",
    )
    return False


# --------------------------------------------------------------------------- role


class TalkRole(SphinxRole):
    """``{talk}`id``` or ``{talk}`text <id>``` — a link to the talk's page with its title."""

    explicit = re.compile(r"^(?P<text>.+?)\s*<(?P<id>[^<>]+)>$", re.S)

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        m = self.explicit.match(self.text)
        talk_id, text = (m["id"].strip(), m["text"]) if m else (self.text.strip(), None)
        if not known_talk(self.env, talk_id, self.get_location()):
            return [nodes.literal(self.rawtext, self.text, classes=["talkbook-unknown"])], []
        cat = catalog_of(self.env.app)
        talk = cat.talk(talk_id)
        node = page_ref(self.env.app, "talk", talk_id, text or talk["title"])
        node["talkbook_mention"] = talk_id
        node["reftitle"] = f"{talk['title_en']} ({conference_label(cat, talk)})"
        return [node], []


# --------------------------------------------------------------------------- directives


def build_card(app: Sphinx, talk_id: str, docname: str) -> talk_card:
    """The card: title, English title, conference/day, speakers, material, tags, backlinks."""
    cat = catalog_of(app)
    talk = cat.talk(talk_id)
    card = talk_card(classes=["talkbook-card"])
    card["talk_id"] = talk_id
    title = nodes.paragraph(classes=["talkbook-card-title"])
    title += page_ref(app, "talk", talk_id, talk["title"])
    card += title
    card += nodes.paragraph(text=talk["title_en"], classes=["talkbook-card-title-en"])
    if talk["title_status"] == "subject":
        card += nodes.paragraph(
            text="노트에 발표 제목이 기록되어 있지 않아 주제로 적었습니다.",
            classes=["talkbook-card-note"],
        )
    fields = nodes.field_list(classes=["talkbook-card-fields"])

    def field(name: str, *body: nodes.Node) -> None:
        para = nodes.paragraph()
        para.extend(body)
        fields.append(nodes.field("", nodes.field_name(text=name), nodes.field_body("", para)))

    conf = cat.conference(talk["conference"])
    day = [nodes.Text(f" · {talk['day']}일차")] if talk["day"] else []
    kind = [nodes.Text(" · 키노트")] if talk["kind"] == "keynote" else []
    field("행사", page_ref(app, "conference", conf["id"], conf["name"]), *day, *kind)
    speakers = split_list(talk["speakers"])
    field("발표자", nodes.Text(", ".join(speakers) if speakers else "노트에 기록 없음"))
    if talk["organization"]:
        field("소속", nodes.Text(talk["organization"]))
    material: list[nodes.Node] = []
    for label, key in (("발표 자료", "slides_url"), ("영상", "video_url")):
        if talk[key]:
            if material:
                material.append(nodes.Text(" · "))
            material.append(
                nodes.reference("", label, refuri=talk[key], classes=["talkbook-external"])
            )
    if material:
        field("자료", *material)
    tag_nodes: list[nodes.Node] = []
    for tag in split_list(talk["tags"]):
        tag_nodes.append(page_ref(app, "tag", tag, cat.tag(tag)["label"], classes=["talkbook-tag"]))
        tag_nodes.append(nodes.Text(" "))
    field("태그", *tag_nodes[:-1])
    card += fields
    card += talk_backrefs(talk_id=talk_id, docname=docname)
    return card


class TalkCardDirective(SphinxDirective):
    """Mark the enclosing section as covering a talk and render its card."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        talk_id = self.arguments[0].strip()
        if not known_talk(self.env, talk_id, self.get_location()):
            return []
        cat = catalog_of(self.env.app)
        note_catalog_use(self.env, *(f"tag:{t}" for t in split_list(cat.talk(talk_id)["tags"])))
        card = build_card(self.env.app, talk_id, self.env.docname)
        self.set_source_info(card)
        return [card]


class TalkCatalogDirective(SphinxDirective):
    """A table of every talk (filterable, sortable) plus links to conference and tag pages."""

    has_content = False
    option_spec = {"class": directives.class_option}

    def run(self) -> list[nodes.Node]:
        app = self.env.app
        cat = catalog_of(app)
        note_catalog_use(self.env, "*")  # every row, in catalog order, and every filter
        self.env.get_domain("talk").data["views"][self.env.docname] = ["*"]
        nav = nodes.paragraph(classes=["talkbook-catalog-nav"])
        nav += nodes.strong(text="행사별: ")
        for i, conf in enumerate(cat.conferences.to_dict("records")):
            if i:
                nav += nodes.Text(" · ")
            nav += page_ref(app, "conference", conf["id"], conf["name"])
        nav += nodes.Text(" — ")
        nav += page_ref(app, "tag", "index", f"태그 {len(cat.tags)}개 전체 보기")
        out: list[nodes.Node] = [nav, pages.catalog_filters(cat)]
        out.append(pages.catalog_table(app, cat, page_ref, talk_coverage))
        return out


# --------------------------------------------------------------------------- domain


class TalkDomain(Domain):
    """Which document sections cover or mention which talks (per docname)."""

    name = "talk"
    label = "Talks"
    initial_data: dict[str, Any] = {
        "covers": {},  # docname -> [(talk_id, anchor, section title, line)]
        "mentions": {},  # docname -> [talk_id, ...]
        "pages": {},  # docname -> {"title": str, "kind": str, ...}
        "views": {},  # docname -> talk ids whose backlinks the page shows ("*" = all)
        "signatures": {},  # docname -> digest of the backlinks last written (main process only)
        "uses": {},  # docname -> catalog keys the page shows or checks (see note_catalog_use)
        "rows": {},  # catalog key -> digest of the row when last read (main process only)
    }
    PER_DOC = ("covers", "mentions", "pages", "views", "uses")

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

    def resolve_xref(self, env, fromdocname, builder, typ, target, node, contnode):  # noqa: D102
        return None  # links are made by pending_talk_ref, not by xrefs

    def resolve_any_xref(self, env, fromdocname, builder, target, node, contnode):  # noqa: D102
        return []

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        for docname, covers in sorted(self.data["covers"].items()):
            for talk_id, anchor, _title, _line in covers:
                yield (f"{docname}#{anchor}:{talk_id}", talk_id, "talk", docname, anchor, 1)

    # -- queries used by pages and placeholders
    #
    # Indexed by talk once per build (after reading) instead of scanning every document on
    # each call: with a card on each of N pages, the scans made writing O(N^2).

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

    def talk_digests(self) -> dict[str, str]:
        """Per talk, a digest of what its backlinks show: the sections covering it (with their
        page titles) and the pages mentioning it. Computed once per build: O(N)."""
        index = self._index()
        titles = {d: p.get("title", "") for d, p in self.data["pages"].items()}
        out = {}
        for tid in set(index["covers"]) | set(index["mentions"]):
            covers = [(d, a, t, titles.get(d, "")) for d, a, t in index["covers"].get(tid, [])]
            mentions = [(d, titles.get(d, "")) for d in index["mentions"].get(tid, [])]
            data = json.dumps([covers, mentions], ensure_ascii=False)
            out[tid] = hashlib.sha1(data.encode()).hexdigest()
        return out

    def backlinks_digest(self, talk_ids: list[str], digests: dict[str, str] | None = None) -> str:
        digests = self.talk_digests() if digests is None else digests
        shown = sorted(digests) if "*" in talk_ids else sorted(set(talk_ids))
        data = "\n".join(f"{t}:{digests.get(t, '')}" for t in shown)
        return hashlib.sha1(data.encode()).hexdigest()


# --------------------------------------------------------------------------- transforms and events


def slugify(text: str) -> str:
    """A readable anchor for any script: lowercase, word characters and hyphens (한글 kept)."""
    text = re.sub(r"[^\w\s-]", "", text.lower(), flags=re.UNICODE)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


class ReadableSectionIds(SphinxTransform):
    """Give sections with non-ASCII titles a readable id instead of docutils' ``id1``.

    Docutils drops Hangul when it makes ids, so every Korean heading would become ``#id3``
    and links would break whenever a heading is added above. The slug depends only on the
    heading text (deduplicated with -2, -3 within the page).
    """

    default_priority = 200  # after parsing, before the TOC and labels are collected

    def apply(self, **kwargs: Any) -> None:
        used = set(self.document.ids)
        for section in self.document.findall(nodes.section):
            ids = section["ids"]
            auto = [i for i in ids if re.fullmatch(r"id\d+", i)]
            if not auto or not section.children or not isinstance(section[0], nodes.title):
                continue
            base = slugify(section[0].astext())
            slug, n = base, 1
            while slug in used:
                n += 1
                slug = f"{base}-{n}"
            used.add(slug)
            old = auto[0]
            ids[ids.index(old)] = slug
            self.document.ids[slug] = section
            # keep internal references that already point at the old id working
            for ref in self.document.findall(nodes.reference):
                if ref.get("refid") == old:
                    ref["refid"] = slug


def on_config_inited(app: Sphinx, config) -> None:
    tb_config.validate(app, config)
    cfg = tb_config.read(config)
    data_dir = Path(app.confdir) / cfg.data_dir
    try:
        app.talkbook_catalog = load_catalog(data_dir)  # type: ignore[attr-defined]
    except CatalogError as err:
        raise ExtensionError(str(err)) from None
    app.talkbook_fm_specs = load_field_specs(data_dir)  # type: ignore[attr-defined]
    static = str(Path(__file__).parent / "static")
    if static not in config.html_static_path:
        config.html_static_path.append(static)


def declare_bundled_parallel_safe(app: Sphinx) -> None:
    """Let Sphinx read in parallel despite two Jupyter Book extensions that never say.

    Without a declaration Sphinx assumes an extension is unsafe and reads serially.
    - sphinx_multitoc_numbering (always loaded by sphinx-external-toc) only replaces the
      section numbering that runs in the main process after merging; with
      ``use_multitoc_numbering: false`` it does nothing at all.
    - sphinx_jupyterbook_latex's transforms return at once unless the builder is LaTeX.
    """
    multitoc = app.extensions.get("sphinx_multitoc_numbering")
    if multitoc is not None and not app.config.use_multitoc_numbering:
        multitoc.parallel_read_safe = True
    latex = app.extensions.get("sphinx_jupyterbook_latex")
    if latex is not None and app.builder.format != "latex":
        latex.parallel_read_safe = True


def front_matter_keys(meta: Any, specs: list[dict[str, Any]]) -> list[str]:
    """ "+<kind>:<id>" for each id the front matter's reference fields name (existence only)."""
    if not isinstance(meta, dict):
        return []
    keys = []
    for spec in specs:
        kind = CATALOG_KINDS.get(spec.get("ref", ""))
        value = meta.get(spec["name"])
        if kind is None or value in (None, "", []):
            continue
        for item in value if isinstance(value, list) else [value]:
            keys.append(f"+{kind}:{item}")
    return keys


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    """Validate front matter; remember the page's metadata in the domain."""
    cfg = tb_config.read(app.config)
    path = app.env.doc2path(docname, base=False)
    fm, problems = parse_front_matter(source[0], str(path))
    meta = fm.talkbook
    in_notes = str(path).startswith(cfg.notes_dir.rstrip("/") + "/")
    if in_notes or "talkbook" in fm.data:
        specs = app.talkbook_fm_specs  # type: ignore[attr-defined]
        problems += validate_front_matter(fm, str(path), catalog_of(app), specs)
        # the check only asks whether each referenced id exists
        note_catalog_use(app.env, *front_matter_keys(meta, specs), docname=docname)
    for p in problems:
        logger.warning(
            f"{p.column + ': ' if p.column else ''}{p.message}{f' ({p.fix})' if p.fix else ''}",
            location=(docname, p.line or None),
            type="talkbook",
            subtype="front-matter",
        )
    if meta:
        source[0] = quote_dates(source[0], fm)
        app.env.get_domain("talk").data["pages"][docname] = {
            "kind": str(meta.get("kind", "")),
            "conference": str(meta.get("conference", "") or ""),
            "day": meta.get("day"),
            "tags": [str(t) for t in meta.get("tags", []) or []],
            "talks": [str(t) for t in meta.get("talks", []) or []],
            "description": str(meta.get("description", "") or ""),
            "line": fm.lines.get("talkbook.talks", fm.lines.get("talkbook", 1)),
        }


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    """Record which sections cover and which paragraphs mention which talks."""
    env = app.env
    docname = env.docname
    domain = env.get_domain("talk")
    covers = []
    for card in doctree.findall(talk_card):
        section = card.parent
        while section is not None and not isinstance(section, nodes.section):
            section = section.parent
        if section is None:
            anchor, title = "", env.titles[docname].astext() if docname in env.titles else docname
        else:
            anchor, title = section["ids"][0], section[0].astext()
        card["ids"].append(f"talk-{card['talk_id']}")
        covers.append((card["talk_id"], anchor, title, card.line or 0))
    mentions = sorted(
        {
            n["talkbook_mention"]
            for n in doctree.findall(pending_talk_ref)
            if "talkbook_mention" in n
        }
    )
    domain.forget_index()
    domain.data["covers"][docname] = covers
    domain.data["mentions"][docname] = mentions
    page = domain.data["pages"].get(docname)
    title = doctree.next_node(nodes.title)
    if page is not None:
        page["title"] = title.astext() if title else docname
        declared = set(page["talks"])
        carded = {c[0] for c in covers}
        for talk_id in sorted(carded - declared):
            logger.warning(
                f"talk-card {talk_id!r} is not listed in front matter `talks` (add it there)",
                location=(docname, page["line"]),
                type="talkbook",
                subtype="front-matter",
            )
        for talk_id in sorted(declared - carded):
            logger.warning(
                f"front matter lists talk {talk_id!r} but the page has no talk-card for it "
                "(add a ```{talk-card} section or remove the id)",
                location=(docname, page["line"]),
                type="talkbook",
                subtype="front-matter",
            )
    else:
        domain.data["pages"][docname] = {
            "title": title.astext() if title else docname,
            "kind": "",
            "talks": [],
            "tags": [],
        }
    domain.data["views"][docname] = sorted({c[0] for c in covers}) + domain.data["views"].get(
        docname, []
    )


def on_env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read again the pages that show or check a catalog row added, removed or edited since
    the last build (main process, before reading)."""
    domain: TalkDomain = env.get_domain("talk")  # type: ignore[assignment]
    new = catalog_row_digests(catalog_of(app))
    old = domain.data["rows"]
    domain.data["rows"] = new
    edited = {k for k in new.keys() & old.keys() if new[k] != old[k]}
    appeared_or_gone = set(new.keys() ^ old.keys())
    # generated pages are written at html-collect-pages: make sure this build writes
    app.talkbook_catalog_changed = bool(edited or appeared_or_gone)  # type: ignore[attr-defined]
    if not app.talkbook_catalog_changed:  # type: ignore[attr-defined]
        return []
    content = edited | appeared_or_gone
    existence = {f"+{k}" for k in appeared_or_gone}
    return sorted(
        doc
        for doc, uses in domain.data["uses"].items()
        if "*" in uses or not uses.isdisjoint(content) or not uses.isdisjoint(existence)
    )


def on_env_get_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Write again every page whose shown backlinks changed since it was last written."""
    domain: TalkDomain = env.get_domain("talk")  # type: ignore[assignment]
    domain.forget_index()  # documents were read: index them again
    digests = domain.talk_digests()
    changed = []
    for docname, talk_ids in domain.data["views"].items():
        if not talk_ids:
            continue
        digest = domain.backlinks_digest(talk_ids, digests)
        if domain.data["signatures"].get(docname) != digest:
            domain.data["signatures"][docname] = digest
            changed.append(docname)
    for docname in list(domain.data["signatures"]):
        if docname not in env.all_docs:
            del domain.data["signatures"][docname]
    if getattr(app, "talkbook_catalog_changed", False) and app.config.root_doc in env.all_docs:
        # a catalog edit that no page shows still changes generated pages; Sphinx runs
        # html-collect-pages only when it writes something, so write (not read) the root
        changed.append(app.config.root_doc)
    app.talkbook_catalog_changed = False  # type: ignore[attr-defined]
    return changed


class ResolveTalkRefs(SphinxPostTransform):
    """Turn placeholders into links, now that every document has been read."""

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        builder = self.app.builder
        here = builder.get_target_uri(self.env.docname)
        for ref in self.document.findall(pending_talk_ref):
            ref["refuri"] = relative_uri(here, builder.get_target_uri(ref["talkbook_target"]))
        domain: TalkDomain = self.env.get_domain("talk")  # type: ignore[assignment]
        for node in list(self.document.findall(talk_backrefs)):
            node.replace_self(
                pages.backrefs_paragraph(self.app, domain, node["talk_id"], node["docname"], here)
            )
        for node in list(self.document.findall(talk_coverage)):
            node.replace_self(nodes.Text(str(len(domain.covers_of(node["talk_id"])))))


def setup(app: Sphinx) -> dict[str, Any]:
    tb_config.register(app)
    app.add_node(talk_backrefs)
    app.add_node(talk_coverage)
    app.add_role("talk", TalkRole())
    app.add_directive("talk-card", TalkCardDirective)
    app.add_directive("talk-catalog", TalkCatalogDirective)
    app.add_domain(TalkDomain)
    app.add_transform(ReadableSectionIds)
    app.add_post_transform(ResolveTalkRefs)
    app.connect("config-inited", on_config_inited, priority=400)
    app.connect("builder-inited", declare_bundled_parallel_safe)
    app.connect("source-read", on_source_read)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("env-get-updated", on_env_get_updated)
    app.connect("html-collect-pages", pages.collect_pages)
    app.connect("build-finished", pages.save_generated_state)
    app.add_css_file("talkbook.css")
    app.add_js_file("talkbook.js", defer="defer")
    return {
        "version": __version__,
        "env_version": 2,  # 2: catalog rows as per-page dependencies ("uses", "rows")
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
