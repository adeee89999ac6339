"""What authors write: the ``{talk}`` role, the ``talk-card`` and ``talk-catalog``
directives, and the directives that generated pages are made of (``talkbook-*``).

Each records two things in the ``talk`` domain: what reading the page depends on
(``note_use``: a row's existence, a group's talk ids for a toctree, a generated page's own
row for its title) and what the page shows (``note_view``: drawn at write time from
placeholders). A row edit thus reads again only the pages whose *read* result depends on it
and writes the pages that show it (see :mod:`talkbook.domain`)."""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

from . import config as tb_config
from . import render
from .catalog import Catalog
from .domain import TalkDomain, talks_in
from .i18n import _

logger = logging.getLogger(__name__)

KINDS = {"talk": "talks", "conference": "conferences", "tag": "tags"}


def domain_of(env: Any) -> TalkDomain:
    return env.get_domain("talk")  # type: ignore[return-value]


def known_talk(env: Any, talk_id: str) -> Catalog | None:
    """The catalog when it has the id. Unknown ids are reported once, with file, line and
    suggestions, by the single validator (``talkbook.check``) that the build runs at
    source-read; the id's existence is recorded so that adding or removing the row reads the
    page again (what the page shows of the row is drawn at write time)."""
    domain = domain_of(env)
    cat = domain.catalog
    if cat is None:
        return None
    domain.note_use(env.docname, f"+talk:{talk_id}")
    return cat if cat.has_talk(talk_id) else None


# --------------------------------------------------------------------------- in notes


class TalkRole(SphinxRole):
    """``{talk}`id``` or ``{talk}`text <id>``` — a link to the talk's page with its title
    (drawn at write time: a title edit writes the page, it does not read it again)."""

    explicit = re.compile(r"^(?P<text>[^<>]+?)\s*<(?P<id>[^<>]+)>$")

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        m = self.explicit.match(self.text)
        talk_id, text = (m["id"].strip(), m["text"]) if m else (self.text.strip(), "")
        cat = known_talk(self.env, talk_id)
        if cat is None:
            return [nodes.literal(self.rawtext, self.text, classes=["talkbook-unknown"])], []
        domain_of(self.env).note_view(self.env.docname, f"title:talk:{talk_id}")
        shown = text or cat.title("talks", cat.talk(talk_id))
        node = render.row_link("", shown, kind="talk", ident=talk_id, label=text)
        node["talkbook_mention"] = talk_id
        return [node], []


class TitleRole(SphinxRole):
    """``{talkbook-title}`kind:id``` — a catalog row's title (headings of generated pages)."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        kind, _sep, ident = self.text.partition(":")
        domain = domain_of(self.env)
        cat = domain.catalog
        if kind == "speaker" and cat is not None:
            domain.note_use(self.env.docname, "people")
            return [nodes.Text(cat.people().get(ident) or ident or self.text)], []
        table = KINDS.get(kind)
        if cat is not None and table is not None:
            domain.note_use(self.env.docname, f"{kind}:{ident}")  # the title (or its absence)
        if cat is None or table is None or ident not in cat.rows_by_id(table):
            return [nodes.Text(ident or self.text)], []
        return [nodes.Text(cat.title(table, cat.rows_by_id(table)[ident]))], []


class TalkCardDirective(SphinxDirective):
    """Mark the enclosing section as covering a talk and render its card."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        talk_id = self.arguments[0].strip()
        if known_talk(self.env, talk_id) is None:
            return []
        domain_of(self.env).note_view(self.env.docname, f"row:talk:{talk_id}", f"covers:{talk_id}")
        card = render.talk_card(talk_id, self.env.docname)
        self.set_source_info(card)
        return [card]


class pending_toctree(nodes.General, nodes.Element):
    """Placeholder for a hidden toctree, made real by :class:`HiddenToctrees`."""


def hidden_toctree(docname: str, entries: list[str]) -> pending_toctree:
    """Generated pages hang in the book's tree (breadcrumbs, previous/next, sidebar) under
    the page that lists them, through a hidden toctree."""
    return pending_toctree(docname=docname, entries=[e.lstrip("/") for e in entries])


class StableSectionIds(SphinxTransform):
    """Sections of generated pages get ids that do not depend on their (translated) titles,
    so links such as ``talks/<id>.html#covered-in`` work in every language."""

    default_priority = 190  # before ReadableSectionIds (200) and the TOC

    IDS = {
        render.backlinks_list: "covered-in",
        render.pages_list: "pages",
    }

    def apply(self, **kwargs: Any) -> None:
        marks: list[tuple[nodes.Element, str]] = [
            (node, ident) for cls, ident in self.IDS.items() for node in self.document.findall(cls)
        ]
        marks += [
            (node, node["section_id"])
            for node in self.document.findall(nodes.Element)
            if node.get("section_id")
        ]
        for node, ident in marks:
            section = node.parent
            while section is not None and not isinstance(section, nodes.section):
                section = section.parent
            if section is not None and ident not in self.document.ids:
                section["ids"].insert(0, ident)
                self.document.ids[ident] = section


class TitleRowLinks(SphinxTransform):
    """A {talk} role in a heading is drawn when the page is read, not written: the heading's
    text is copied into the page's title, its table of contents and its section id, where
    placeholders are never resolved. Its row is then a read dependency of the page."""

    default_priority = 180  # before ReadableSectionIds (200) and the title/TOC collectors

    def apply(self, **kwargs: Any) -> None:
        domain = domain_of(self.env)
        cat = domain.catalog
        for node in list(self.document.findall(render.row_link)):
            parent = node.parent
            while parent is not None and not isinstance(parent, (nodes.title, nodes.subtitle)):
                parent = parent.parent
            if parent is None or cat is None:
                continue
            domain.note_use(self.env.docname, f"{node['kind']}:{node['ident']}")
            node.replace_self(render.draw(cat, node, self.env.docname))


class HiddenToctrees(SphinxTransform):
    """Turn placeholders into hidden toctrees, as the ``toctree`` directive makes them.

    This runs after sphinx-external-toc's own transform (priority 100), which warns about
    any toctree it finds, and before Sphinx collects toctrees at doctree-read."""

    default_priority = 150

    def apply(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(pending_toctree)):
            tree = addnodes.toctree()
            tree["parent"] = node["docname"]
            tree["entries"] = [(None, e) for e in node["entries"]]
            tree["includefiles"] = list(node["entries"])
            tree["maxdepth"] = -1
            tree["caption"] = None
            tree["glob"] = False
            tree["hidden"] = True
            tree["includehidden"] = False
            tree["numbered"] = 0
            tree["titlesonly"] = False
            tree["rawentries"] = []
            node.replace_self(nodes.compound("", tree, classes=["toctree-wrapper"]))


class TalkCatalogDirective(SphinxDirective):
    """Every talk in a filterable, sortable table; conference and tag pages hang below it."""

    has_content = False
    option_spec = {"class": directives.class_option}

    def run(self) -> list[nodes.Node]:
        domain = domain_of(self.env)
        cat = domain.catalog
        if cat is None:
            logger.warning(
                "talk-catalog: this book has no talk catalog (add data/talks.csv)",
                location=self.get_location(),
                type="talkbook",
                subtype="no-catalog",
            )
            return []
        # read: the toctree (conference ids in order, the speaker index if any); shown:
        # conference links, filters and every talk's row, drawn at write time
        domain.note_use(self.env.docname, "order:conference", "has:people")
        domain.note_view(self.env.docname, "catalog")
        cfg = tb_config.read(self.config)
        children = [f"{cfg.conferences_path}/{c}" for c in cat.rows_by_id("conferences")]
        children.append(f"{cfg.tags_path}/index")
        if cat.people():
            children.append(f"{cfg.speakers_path}/index")
        return [
            render.row_view(view="catalog"),
            hidden_toctree(self.env.docname, ["/" + c for c in children]),
        ]


# --------------------------------------------------------------------------- generated pages


class RowDirective(SphinxDirective):
    """Base: the argument is ``kind:id`` of a catalog row."""

    required_arguments = 1

    def row(self) -> tuple[Catalog, str, str] | None:
        kind, _sep, ident = self.arguments[0].partition(":")
        cat = domain_of(self.env).catalog
        table = KINDS.get(kind)
        if cat is not None and table is not None:
            domain_of(self.env).note_use(self.env.docname, f"+{kind}:{ident}")  # the warning
        if cat is None or table is None or ident not in cat.rows_by_id(table):
            logger.warning(
                f"{self.name}: no catalog row {self.arguments[0]!r}",
                location=self.get_location(),
                type="talkbook",
                subtype="generated",
            )
            return None
        return cat, table, ident

    def run(self) -> list[nodes.Node]:
        found = self.row()
        return [] if found is None else self.render(*found)

    def render(self, cat: Catalog, table: str, ident: str) -> list[nodes.Node]:
        raise NotImplementedError


class FieldsDirective(RowDirective):
    """``talkbook-fields kind:id`` — subtitle, summary and the fields shown on pages."""

    def render(self, cat: Catalog, table: str, ident: str) -> list[nodes.Node]:
        kind = KINDS_REV[table]
        domain_of(self.env).note_view(self.env.docname, f"row:{kind}:{ident}")
        return [render.row_view(view="fields", kind=kind, ident=ident)]


KINDS_REV = {v: k for k, v in KINDS.items()}


class TalksDirective(RowDirective):
    """``talkbook-talks kind:id`` — the talks of a conference or tag, or related to a talk
    (drawn at write time; with ``:toctree:`` the talks' pages hang below the page)."""

    option_spec = {"toctree": directives.flag}

    def render(self, cat: Catalog, table: str, ident: str) -> list[nodes.Node]:
        domain = domain_of(self.env)
        kind = KINDS_REV[table]
        group = "related" if table == "talks" else kind
        domain.note_view(self.env.docname, f"list:{group}:{ident}")
        section_id = "related" if table == "talks" else "talks"
        view = render.row_view(
            view="talks", kind=kind, ident=ident, group=group, section_id=section_id
        )
        view["none"] = _("No talks yet.")
        out: list[nodes.Node] = [view]
        if "toctree" in self.options:
            domain.note_use(self.env.docname, f"ids:{group}:{ident}")
            talks = talks_in(cat, group, ident)
            folder = tb_config.read(self.config).talks_path
            out.append(hidden_toctree(self.env.docname, [f"/{folder}/{t['id']}" for t in talks]))
        return out


class SpeakerIndexDirective(SphinxDirective):
    """``talkbook-speaker-index`` — every person of the people column with their number of
    talks (drawn at write time); speaker pages hang below."""

    def run(self) -> list[nodes.Node]:
        domain = domain_of(self.env)
        cat = domain.catalog
        if cat is None:
            return []
        domain.note_use(self.env.docname, "people")  # the toctree, by name
        domain.note_view(self.env.docname, "index:speakers")
        people = sorted(cat.people().items(), key=lambda item: item[1])
        folder = tb_config.read(self.config).speakers_path
        return [
            render.row_view(view="speaker-index"),
            hidden_toctree(self.env.docname, [f"/{folder}/{s}" for s, _ in people]),
        ]


class SpeakerTalksDirective(SphinxDirective):
    """``talkbook-speaker-talks slug`` — the talks a person gave (the people column)."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        domain = domain_of(self.env)
        if domain.catalog is None:
            return []
        slug = self.arguments[0]
        domain.note_view(self.env.docname, f"list:speaker:{slug}")
        return [render.row_view(view="talks", kind="speaker", ident=slug, group="speaker")]


class BacklinksDirective(RowDirective):
    """``talkbook-backlinks talk:id`` — sections covering and pages mentioning the talk."""

    def render(self, _cat: Catalog, _table: str, ident: str) -> list[nodes.Node]:
        domain_of(self.env).note_view(self.env.docname, f"covers:{ident}")
        return [render.backlinks_list(talk_id=ident)]


class PagesDirective(RowDirective):
    """``talkbook-pages conference:id`` / ``tag:id`` — pages whose front matter names it."""

    def render(self, _cat: Catalog, table: str, ident: str) -> list[nodes.Node]:
        field = {"conferences": "conference", "tags": "tags"}.get(table, "")
        domain_of(self.env).note_view(self.env.docname, f"{field}:{ident}")
        return [render.pages_list(field=field, value=ident)]


class TagIndexDirective(SphinxDirective):
    """``talkbook-tag-index`` — every tag with its number of talks (drawn at write time);
    tag pages hang below."""

    def run(self) -> list[nodes.Node]:
        domain = domain_of(self.env)
        cat = domain.catalog
        if cat is None:
            return []
        tags = sorted(cat.rows("tags"), key=lambda t: cat.title("tags", t))
        # the toctree, by title
        domain.note_use(self.env.docname, "order:tag", *(f"tag:{t['id']}" for t in tags))
        domain.note_view(self.env.docname, "index:tags")
        folder = tb_config.read(self.config).tags_path
        return [
            render.row_view(view="tag-index"),
            hidden_toctree(self.env.docname, [f"/{folder}/{t['id']}" for t in tags]),
        ]


# --------------------------------------------------------------------------- placeholders


class ResolvePlaceholders(SphinxPostTransform):
    """Fill backlinks and counts once every document has been read (before references are
    resolved, so the links they hold are resolved like any other)."""

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        domain = domain_of(self.env)
        here = self.env.docname
        cat = domain.catalog
        for node in list(self.document.findall(render.row_view)) + list(
            self.document.findall(render.row_link)
        ):
            # catalog rows first: cards and lists hold the placeholders below
            node.replace_self(render.draw(cat, node, here) if cat is not None else [])
        for node in list(self.document.findall(render.talk_backrefs)):
            node.replace_self(also_covered(domain, node["talk_id"], node["docname"]))
        for node in list(self.document.findall(render.talk_coverage)):
            node.replace_self(nodes.Text(str(len(domain.covers_of(node["talk_id"])))))
        for node in list(self.document.findall(render.backlinks_list)):
            node.replace_self(backlinks(domain, node["talk_id"]))
        for node in list(self.document.findall(render.pages_list)):
            docs = [d for d in domain.pages_with(node["field"], node["value"]) if d != here]
            node.replace_self(doc_list(domain, [(d, "", "") for d in docs]))


def kind_label(domain: TalkDomain, docname: str) -> str:
    kind = domain.data["pages"].get(docname, {}).get("kind", "")
    return domain.data["pages"].get(docname, {}).get("kind_label", "") or kind


def doc_list(domain: TalkDomain, docs: list[tuple[str, str, str]]) -> nodes.Node:
    if not docs:
        return nodes.paragraph(text=_("None yet."), classes=["talkbook-none"])
    items = nodes.bullet_list(classes=["talkbook-backlinks"])
    for doc, anchor, section in docs:
        text = domain.title_of(doc) + (f" — {section}" if section else "")
        para = nodes.paragraph()
        para += render.doc_ref(doc, text, anchor)
        label = kind_label(domain, doc)
        if label:
            para += nodes.Text(" ")
            para += nodes.inline(text=label, classes=["talkbook-kind"])
        items += nodes.list_item("", para)
    return items


def backlinks(domain: TalkDomain, talk_id: str) -> list[nodes.Node]:
    """Sections covering the talk, then other pages mentioning it (ids covered-in and
    mentioned-in, so other sites can link them)."""
    covers = domain.covers_of(talk_id)
    covering = {d for d, _a, _t in covers}
    mentions = [(d, "", "") for d in domain.mentions_of(talk_id) if d not in covering]
    covers_list = doc_list(domain, covers)
    covers_list["classes"].append("talkbook-covers")
    out = [covers_list]
    if mentions:
        box = nodes.container(ids=["mentioned-in"], classes=["talkbook-mentions"])
        box += nodes.paragraph(text=_("Also mentioned in:"))
        box += doc_list(domain, mentions)
        out.append(box)
    return out


def also_covered(domain: TalkDomain, talk_id: str, docname: str) -> nodes.paragraph:
    """'Also covered in' links on a card: every other section that covers the same talk."""
    others = [(d, a, t) for d, a, t in domain.covers_of(talk_id) if d != docname]
    para = nodes.paragraph(classes=["talkbook-card-also"])
    para += nodes.strong(text=_("Also covered in") + ": ")
    if not others:
        para += nodes.Text(_("only this note so far."))
        return para
    for i, (doc, anchor, title) in enumerate(others):
        if i:
            para += nodes.Text(" · ")
        para += render.doc_ref(doc, f"{domain.title_of(doc)} — {title}", anchor)
    return para
