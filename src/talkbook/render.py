"""Docutils nodes for catalog rows: field lists, talk lists and the catalog table.

Everything a reader sees of a row comes from the schema: a column is shown where its
``show`` says (card, page, catalog), under its ``label``, formatted by ``display``; refs
become links to the referenced row's generated page. Links are ``pending_xref`` nodes that
the ``talk`` domain resolves for any builder, so nothing here knows about URLs.

Rows are drawn at write time: directives leave a :class:`row_view` or :class:`row_link`
placeholder, and :func:`draw` renders it from the current catalog when the page is written
(``directives.ResolvePlaceholders``). A row edit then writes the pages that show the row
without reading them again (``talkbook.domain``: shown keys vs read dependencies).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.addnodes import pending_xref

from .catalog import Catalog, Column, TableSchema, is_url, split_list
from .domain import CATALOG_KINDS, TABLE_OF_KIND, groups, talks_in
from .i18n import _

KIND_OF_TABLE = CATALOG_KINDS  # "talks" -> "talk", ...


class talk_backrefs(nodes.General, nodes.Element):
    """Placeholder: "also covered in" links on a card (filled once every page is read)."""


class talk_coverage(nodes.General, nodes.Inline, nodes.Element):
    """Placeholder: how many note sections cover a talk."""


class backlinks_list(nodes.General, nodes.Element):
    """Placeholder: sections covering and pages mentioning a talk (its generated page)."""


class pages_list(nodes.General, nodes.Element):
    """Placeholder: pages whose front matter ``field`` names ``value``."""


class row_view(nodes.General, nodes.Element):
    """Placeholder: what a page shows of catalog rows (``view``: card, fields, talks,
    tag-index, speaker-index, catalog), drawn at write time by :func:`draw`."""


class row_link(nodes.General, nodes.Inline, nodes.TextElement):
    """Placeholder: a link to a row's page under its title (or the author's ``label``), drawn
    at write time; in a heading, drawn when the page is read (``directives.TitleRowLinks``).
    It holds the title as read, as text for whatever looks at the page before it is
    written."""


PLACEHOLDERS = (talk_backrefs, talk_coverage, backlinks_list, pages_list, row_view, row_link)


def row_ref(kind: str, ident: str, text: str, classes: tuple[str, ...] = ()) -> pending_xref:
    """A link to a row's generated page, resolved by the ``talk`` domain."""
    node = pending_xref(
        "",
        refdomain="talk",
        reftype=kind,
        reftarget=ident,
        refexplicit=True,
        refwarn=True,
        classes=["talkbook-ref", f"talkbook-{kind}-ref", *classes],
    )
    node += nodes.inline("", text)
    return node


def doc_ref(docname: str, text: str, anchor: str = "") -> pending_xref:
    """A link to a document (and section), resolved by the ``talk`` domain for any builder."""
    node = pending_xref(
        "", refdomain="talk", reftype="doc", reftarget=docname, refexplicit=True, refwarn=True
    )
    node["talkbook_anchor"] = anchor
    node += nodes.inline("", text)
    return node


def value_nodes(
    cat: Catalog, table: TableSchema, col: Column, row: dict[str, str]
) -> list[nodes.Node]:
    """How one cell reads: refs as links, URLs as links, enums by their labels."""
    raw = (row.get(col.name) or "").strip()
    if not raw:
        return [nodes.Text(col.empty)] if col.empty else []
    items = split_list(raw) if col.type == "list" else raw.split() if col.type == "urls" else [raw]
    out: list[nodes.Node] = []
    for i, item in enumerate(items):
        if i:
            out.append(nodes.Text(", " if col.type != "list" or not col.ref else " "))
        if col.pages and table.key == "talks":
            out.append(row_ref("speaker", cat.person_slug(item), col.display.format(value=item)))
        elif col.ref in KIND_OF_TABLE and cat.schema.get(col.ref):
            target = cat.rows_by_id(col.ref).get(item)
            text = cat.title(col.ref, target) if target else item
            kind = KIND_OF_TABLE[col.ref]
            chip = (f"talkbook-{kind}",) if col.type == "list" else ()
            out.append(row_ref(kind, item, col.display.format(value=text), chip))
        elif col.type in ("url", "urls") and is_url(item):
            out.append(nodes.reference("", item, refuri=item, classes=["talkbook-external"]))
        elif col.type == "enum":
            text = col.labels.get(item, item)
            if text:
                out.append(nodes.Text(col.display.format(value=text)))
        else:
            out.append(nodes.Text(col.display.format(value=item)))
    return out


def fields(cat: Catalog, table_key: str, row: dict[str, str], where: str) -> list[nodes.Node]:
    """Notes (columns shown without a label) and a field list of the labelled columns."""
    table = cat.schema[table_key]
    skip = {table.title, table.subtitle, table.summary, "id"}
    notes: list[nodes.Node] = []
    flist = nodes.field_list(classes=["talkbook-card-fields"])
    for col in table.columns:
        if where not in col.show or (col.name in skip and not col.label):
            continue
        body = value_nodes(cat, table, col, row)
        if not body:
            continue
        para = nodes.paragraph()
        para.extend(body)
        if not col.label:
            para["classes"].append("talkbook-card-note")
            notes.append(para)
            continue
        flist += nodes.field("", nodes.field_name(text=col.label), nodes.field_body("", para))
    return [*notes, flist] if len(flist) else notes


def talk_card(talk_id: str, docname: str) -> nodes.container:
    """A talk's card in a note, as read: the container (its section covers the talk) with
    a placeholder for the content, drawn at write time by :func:`card_body`."""
    card = nodes.container(classes=["talkbook-card"])
    card["talk_id"] = talk_id
    card += row_view(view="card", kind="talk", ident=talk_id, docname=docname)
    return card


def card_body(cat: Catalog, talk_id: str, docname: str) -> list[nodes.Node]:
    """A card's content: title (linked), subtitle, fields, "also covered in"."""
    talk = cat.talk(talk_id)
    table = cat.schema["talks"]
    title = nodes.paragraph(classes=["talkbook-card-title"])
    title += row_ref("talk", talk_id, cat.title("talks", talk))
    out: list[nodes.Node] = [title]
    if table.subtitle and talk.get(table.subtitle):
        out.append(nodes.paragraph(text=talk[table.subtitle], classes=["talkbook-card-title-en"]))
    out.extend(fields(cat, "talks", talk, "card"))
    out.append(talk_backrefs(talk_id=talk_id, docname=docname))
    return out


def talk_link(cat: Catalog, talk_id: str, text: str = "") -> pending_xref:
    """The {talk} role's link: the talk's title (or ``text``), its subtitle as tooltip."""
    talk = cat.talk(talk_id)
    node = row_ref("talk", talk_id, text or cat.title("talks", talk))
    subtitle = cat.schema["talks"].subtitle
    if subtitle and talk.get(subtitle):
        node["reftitle"] = talk[subtitle]
    return node


def row_page(cat: Catalog, table_key: str, ident: str) -> list[nodes.Node]:
    """The top of a generated page: subtitle, summary, the fields shown on pages."""
    table = cat.schema[table_key]
    row = cat.rows_by_id(table_key)[ident]
    out: list[nodes.Node] = []
    if table.subtitle and row.get(table.subtitle):
        out.append(nodes.paragraph(text=row[table.subtitle], classes=["talkbook-title-en"]))
    if table.summary and row.get(table.summary):
        out.append(nodes.paragraph(text=row[table.summary], classes=["talkbook-summary"]))
    out.extend(fields(cat, table_key, row, "page"))
    return out


def talk_list(cat: Catalog, talks: list[dict[str, str]]) -> nodes.bullet_list:
    """Talks as links with the number of note sections covering each."""
    items = nodes.bullet_list(classes=["talkbook-talk-list"])
    for talk in talks:
        para = nodes.paragraph()
        para += row_ref("talk", talk["id"], cat.title("talks", talk))
        para += nodes.Text(" ")
        count = nodes.inline(classes=["talkbook-count"])
        count += nodes.Text(_("notes") + " ")
        count += talk_coverage(talk_id=talk["id"])
        para += count
        items += nodes.list_item("", para)
    return items


def related_talks(cat: Catalog, talk_id: str) -> list[dict[str, str]]:
    """Other talks sharing the most tags with this one (catalog order breaks ties)."""
    return talks_in(cat, "related", talk_id)


def tag_index(cat: Catalog) -> nodes.bullet_list:
    """Every tag (by title) with its number of talks."""
    items = nodes.bullet_list(classes=["talkbook-tag-cloud"])
    tagged = groups(cat)["tag"]
    for tag in sorted(cat.rows("tags"), key=lambda t: cat.title("tags", t)):
        para = nodes.paragraph()
        para += row_ref("tag", tag["id"], cat.title("tags", tag), ("talkbook-tag",))
        para += nodes.Text(f" ({len(tagged.get(tag['id'], []))})")
        items += nodes.list_item("", para)
    return items


def speaker_index(cat: Catalog) -> nodes.bullet_list:
    """Every person of the people column (by name) with their number of talks."""
    items = nodes.bullet_list(classes=["talkbook-tag-cloud"])
    talks_by = groups(cat)["speaker"]
    for slug, name in sorted(cat.people().items(), key=lambda item: item[1]):
        para = nodes.paragraph()
        para += row_ref("speaker", slug, name)
        para += nodes.Text(f" ({len(talks_by.get(slug, []))})")
        items += nodes.list_item("", para)
    return items


def catalog_nav(cat: Catalog) -> nodes.paragraph:
    """Links to every conference and to the tag index, above the catalog table."""
    nav = nodes.paragraph(classes=["talkbook-catalog-nav"])
    nav += nodes.strong(text=_("By conference") + ": ")
    for i, conf in enumerate(cat.rows("conferences")):
        if i:
            nav += nodes.Text(" · ")
        nav += row_ref("conference", conf["id"], cat.title("conferences", conf))
    nav += nodes.Text(" — ")
    nav += row_ref("tags", "index", _("All {n} tags").format(n=cat.count("tags")))
    return nav


def draw(cat: Catalog, node: row_view | row_link, docname: str) -> list[nodes.Node]:
    """What a placeholder shows, from the catalog as it is when the page is written."""
    kind, ident = node.get("kind", ""), node.get("ident", "")
    table = TABLE_OF_KIND.get(kind, "")
    if kind and ident not in (cat.rows_by_id(table) if table in cat.schema else cat.people()):
        return []  # gone since the page was read: the page is being read again anyway
    if isinstance(node, row_link):
        link = talk_link(cat, ident, node.get("label", ""))
        if "talkbook_mention" in node:
            link["talkbook_mention"] = node["talkbook_mention"]
        return [link]
    view = node["view"]
    if view == "card":  # the note's own name: in a single-page build ``docname`` is the root
        return card_body(cat, ident, node["docname"])
    if view == "fields":
        return row_page(cat, table, ident)
    if view == "talks":
        talks = talks_in(cat, node["group"], ident)
        if talks:
            return [talk_list(cat, talks)]
        none = node.get("none", "")
        return [nodes.paragraph(text=none)] if none else []
    if view == "tag-index":
        return [tag_index(cat)]
    if view == "speaker-index":
        return [speaker_index(cat)]
    if view == "catalog":
        return [catalog_nav(cat), catalog_filters(cat), catalog_table(cat)]
    raise ValueError(f"unknown row view {view!r}")


def catalog_table(cat: Catalog) -> nodes.table:
    """Every talk as a docutils table (titles reach the search index); filters use classes."""
    table = cat.schema["talks"]
    shown = [c for c in table.columns if "catalog" in c.show and c.name != table.title]
    headers = [_("Talk"), *(c.label or c.name for c in shown), _("Notes")]
    node = nodes.table(classes=["talkbook-catalog", "table"])
    group = nodes.tgroup(cols=len(headers))
    node += group
    for width in (40, *([48 // max(len(shown), 1)] * len(shown)), 8):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += nodes.row("", *(nodes.entry("", nodes.paragraph(text=h)) for h in headers))
    group += head
    body = nodes.tbody()
    for talk in cat.rows("talks"):
        row = nodes.row(classes=["talkbook-row"])
        row["ids"] = [f"talk-{talk['id']}"]
        # data for the filters, as classes (docutils has no data-* attributes)
        for col in shown:
            if col.ref:
                row["classes"] += [f"tb-{col.name}-{v}" for v in cat.refs("talks", talk, col.ref)]
        title = nodes.paragraph()
        title += row_ref("talk", talk["id"], cat.title("talks", talk))
        if table.subtitle and talk.get(table.subtitle):
            title += nodes.inline(text=f" {talk[table.subtitle]}", classes=["talkbook-title-en"])
        cells = [(title, ["tb-col-title"])]
        for col in shown:
            para = nodes.paragraph()
            para.extend(value_nodes(cat, table, col, talk))
            kind = "list" if col.type in ("list", "urls") else "ref" if col.ref else col.type
            cells.append((para, [f"tb-col-{col.name}", f"tb-col-{kind}"]))
        count = nodes.paragraph()
        count += nodes.inline(text=_("notes") + " ", classes=["talkbook-count-label"])
        count += talk_coverage(talk_id=talk["id"])
        cells.append((count, ["tb-col-notes"]))
        row.extend(nodes.entry("", c, classes=classes) for c, classes in cells)
        body += row
    group += body
    return node


def catalog_filters(cat: Catalog) -> nodes.raw:
    """Filter controls above the catalog table (talkbook.js wires them up).

    Option texts go in ``label`` attributes, so the search index (which reads the text of
    raw HTML) does not collect them as words."""
    from html import escape

    table = cat.schema["talks"]
    parts = [
        '<form class="talkbook-filters" role="search" aria-label="'
        + escape(_("Filter the talk catalog"))
        + '" data-count-format="'
        + escape(_("{n} talks"))
        + '" onsubmit="return false">'
    ]
    for col in table.columns:
        if "catalog" not in col.show or not col.ref or col.ref not in cat.schema:
            continue
        rows = (
            sorted(cat.rows(col.ref), key=lambda r: cat.title(col.ref, r))
            if col.type == "list"
            else cat.rows(col.ref)
        )
        options = "".join(
            f'<option value="{escape(r["id"])}" label="{escape(cat.title(col.ref, r))}"></option>'
            for r in rows
        )
        parts.append(
            f'<label><span class="talkbook-filter-label">{escape(col.label or col.name)}</span>'
            f'<select data-filter="{escape(col.name)}"><option value="" label="{escape(_("All"))}">'
            f"</option>{options}</select></label>"
        )
    parts.append(
        f'<label><span class="talkbook-filter-label">{escape(_("Search titles"))}</span>'
        '<input type="search" data-filter="text"></label>'
        '<output class="talkbook-filter-count" aria-live="polite"></output></form>'
    )
    # the kit's own markup, every value escaped: talkbook.safety leaves it as it is
    return nodes.raw("", "".join(parts), format="html", talkbook_trusted=True)
