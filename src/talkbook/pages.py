"""What the extension renders: the catalog table, backlink paragraphs, and the generated
talk, conference and tag pages (written at ``html-collect-pages``, so their backlinks are
always those of the current build and nothing generated lands in the source tree)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.osutil import relative_uri

from . import config as tb_config
from .catalog import Catalog, split_list
from .files import write_atomic

if TYPE_CHECKING:
    from .ext import TalkDomain

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
KIND_LABELS = {
    "review": "후기",
    "memo": "메모",
    "essay": "에세이",
    "demo": "데모",
    "thread": "주제",
    "home": "홈",
    "page": "문서",
}


# --------------------------------------------------------------------------- catalog page


def catalog_filters(cat: Catalog) -> nodes.raw:
    """Filter controls above the catalog table (plain HTML; talkbook.js wires them up)."""
    html = TEMPLATES.get_template("catalog_filters.html").render(
        conferences=cat.conferences.to_dict("records"),
        years=sorted(set(cat.conferences["year"])),
        tags=cat.tags.sort_values("label").to_dict("records"),
    )
    return nodes.raw("", html, format="html")


def catalog_table(
    app: Sphinx, cat: Catalog, page_ref: Callable[..., nodes.Node], coverage: type[nodes.Element]
) -> nodes.table:
    """Every talk as a docutils table, so the titles are in the search index too."""
    headers = ["발표", "행사", "연도", "일차", "태그", "노트"]
    table = nodes.table(classes=["talkbook-catalog", "table"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in (40, 16, 7, 7, 22, 8):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += nodes.row("", *(nodes.entry("", nodes.paragraph(text=h)) for h in headers))
    group += head
    body = nodes.tbody()
    for talk in cat.talks.to_dict("records"):
        conf = cat.conference(talk["conference"])
        tags = split_list(talk["tags"])
        row = nodes.row(classes=["talkbook-row"])
        row["ids"] = [f"talk-{talk['id']}"]
        # data for the filters, as classes (docutils has no data-* attributes)
        row["classes"] += [
            f"tb-conf-{conf['id']}",
            f"tb-year-{conf['year']}",
            *(f"tb-tag-{t}" for t in tags),
        ]
        title = nodes.paragraph()
        title += page_ref(app, "talk", talk["id"], talk["title"])
        title += nodes.inline(text=f" {talk['title_en']}", classes=["talkbook-title-en"])
        tag_para = nodes.paragraph()
        for i, tag in enumerate(tags):
            if i:
                tag_para += nodes.Text(" ")
            tag_para += page_ref(app, "tag", tag, cat.tag(tag)["label"], classes=["talkbook-tag"])
        conf_para = nodes.paragraph()
        conf_para += page_ref(app, "conference", conf["id"], conf["name"])
        count = nodes.paragraph()
        count += coverage(talk_id=talk["id"])
        cells = [
            title,
            conf_para,
            nodes.paragraph(text=conf["year"]),
            nodes.paragraph(text=talk["day"]),
            tag_para,
            count,
        ]
        row.extend(nodes.entry("", c) for c in cells)
        body += row
    group += body
    return table


# --------------------------------------------------------------------------- backlinks


def backrefs_paragraph(
    app: Sphinx, domain: TalkDomain, talk_id: str, docname: str, here: str
) -> nodes.Node:
    """'Also covered in' links on a card: every other section that covers the same talk."""
    builder = app.builder
    others = [(d, a, t) for d, a, t in domain.covers_of(talk_id) if d != docname]
    para = nodes.paragraph(classes=["talkbook-card-also"])
    para += nodes.strong(text="함께 다룬 노트: ")
    if not others:
        para += nodes.Text("아직 이 노트뿐입니다.")
        return para
    for i, (doc, anchor, title) in enumerate(others):
        if i:
            para += nodes.Text(" · ")
        uri = relative_uri(here, builder.get_target_uri(doc)) + (f"#{anchor}" if anchor else "")
        page_title = domain.data["pages"].get(doc, {}).get("title", doc)
        para += nodes.reference("", f"{page_title} — {title}", refuri=uri, internal=True)
    return para


# --------------------------------------------------------------------------- generated pages


def _doc_link(
    app: Sphinx, domain: TalkDomain, here: str, doc: str, anchor: str = "", section: str = ""
) -> dict[str, str]:
    page = domain.data["pages"].get(doc, {})
    uri = relative_uri(here, app.builder.get_target_uri(doc)) + (f"#{anchor}" if anchor else "")
    return {
        "uri": uri,
        "title": page.get("title", doc),
        "section": section,
        "kind": KIND_LABELS.get(page.get("kind", ""), ""),
    }


def _talk_context(
    app: Sphinx, cat: Catalog, domain: TalkDomain, talk: dict[str, str], here: str
) -> dict[str, Any]:
    cfg = tb_config.read(app.config)
    conf = cat.conference(talk["conference"])
    covers = [_doc_link(app, domain, here, d, a, t) for d, a, t in domain.covers_of(talk["id"])]
    covering_docs = {d for d, _, _ in domain.covers_of(talk["id"])}
    mentions = [
        _doc_link(app, domain, here, d)
        for d in domain.mentions_of(talk["id"])
        if d not in covering_docs
    ]
    related = []
    tags = split_list(talk["tags"])
    for other in cat.talks.to_dict("records"):
        shared = [t for t in split_list(other["tags"]) if t in tags]
        if other["id"] != talk["id"] and shared and "keynote" not in shared:
            related.append((len(shared), other))
    related.sort(key=lambda x: -x[0])
    return {
        "talk": talk,
        "conference": conf,
        "conference_uri": relative_uri(
            here, app.builder.get_target_uri(f"{cfg.conferences_path}/{conf['id']}")
        ),
        "speakers": split_list(talk["speakers"]),
        "links": talk["links"].split(),
        "tags": [
            {
                "label": cat.tag(t)["label"],
                "uri": relative_uri(here, app.builder.get_target_uri(f"{cfg.tags_path}/{t}")),
            }
            for t in tags
        ],
        "covers": covers,
        "mentions": mentions,
        "related": [
            {
                "title": o["title"],
                "uri": relative_uri(
                    here, app.builder.get_target_uri(f"{cfg.talks_path}/{o['id']}")
                ),
            }
            for _, o in related[:6]
        ],
        "catalog_uri": relative_uri(here, app.builder.get_target_uri(cfg.catalog_page))
        + f"#talk-{talk['id']}",
    }


def _talk_rows(
    app: Sphinx, cat: Catalog, domain: TalkDomain, talks: list[dict[str, str]], here: str
) -> list[dict[str, Any]]:
    cfg = tb_config.read(app.config)
    return [
        {
            "talk": t,
            "uri": relative_uri(here, app.builder.get_target_uri(f"{cfg.talks_path}/{t['id']}")),
            "conference": cat.conference(t["conference"])["name"],
            "covers": len(domain.covers_of(t["id"])),
        }
        for t in talks
    ]


def _page(
    pagename: str, title: str, template: str, description: str, **ctx: Any
) -> tuple[str, dict[str, Any], str]:
    body = TEMPLATES.get_template(template).render(**ctx)
    return (
        pagename,
        {"title": title, "body": body, "talkbook_description": description},
        "page.html",
    )


GENERATED_STATE = "talkbook-generated.json"


def _site_signature(app: Sphinx) -> str:
    """What every generated page shows besides its own body: the navigation
    (:func:`talkbook.navcache.navigation_signature`: toc, titles, settings, theme versions),
    the page kinds and glossary page (header navigation), the conference and tag tables
    (header navigation, neighbours of tag pages), the output folder, the templates and the
    version of talkbook.

    ``talks.csv`` is left out: a generated page shows talk rows only in its body (its own row,
    related talks, the talks of a conference or tag) and, for a talk page, in its previous /
    next links, which :func:`collect_pages` adds to that page's own digest. So editing one
    talk rewrites the pages that show it, not all of them."""
    from . import __version__
    from .meta import glossary_doc
    from .navcache import navigation_signature

    env = app.env
    cfg = tb_config.read(app.config)
    data = Path(app.confdir) / cfg.data_dir
    domain = env.get_domain("talk")
    info = getattr(app.builder, "build_info", None)
    cat: Catalog = app.talkbook_catalog  # type: ignore[attr-defined]
    talks_file = cat.schema["talks"].file if "talks" in cat.schema else "talks.csv"
    sig = {
        "navigation": navigation_signature(app),
        "outdir": str(app.outdir),
        "templates": app.builder.templates.newest_template_mtime(),  # type: ignore[attr-defined]
        "glossary": glossary_doc(env),
        "kinds": {d: p.get("kind", "") for d, p in sorted(domain.data["pages"].items())},
        "catalog": {
            f.name: hashlib.sha1(f.read_bytes()).hexdigest()
            for f in sorted(data.glob("*.csv"))
            if f.name != talks_file
        },
        "tags_hash": getattr(info, "tags_hash", ""),
        "talkbook": __version__,
    }
    return hashlib.sha1(json.dumps(sig, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _unchanged_filter(app: Sphinx) -> Callable[[str, dict[str, Any], Any], bool]:
    """A test "this generated page is already written, as this build would write it".

    Talk, conference and tag pages are written at html-collect-pages, which Sphinx runs on
    every build; rendering one through the theme costs as much as a document page. Their
    content is known before rendering (body, title, description + the site signature), so a
    page whose digest matches the one recorded by the last build, and whose file exists, is
    not written again. A fresh environment or a changed configuration writes them all.
    """
    from sphinx.environment import CONFIG_OK

    state_path = Path(app.doctreedir) / GENERATED_STATE
    try:
        fresh = app.env.config_status != CONFIG_OK
        old = {} if fresh else json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    site = _site_signature(app)
    new: dict[str, str] = {}
    app.talkbook_generated_state = (state_path, new)  # type: ignore[attr-defined]

    def unchanged(pagename: str, ctx: dict[str, Any], extra: Any = None) -> bool:
        blob = json.dumps([site, ctx, extra], sort_keys=True, ensure_ascii=False, default=str)
        new[pagename] = digest = hashlib.sha1(blob.encode()).hexdigest()
        return old.get(pagename) == digest and Path(app.builder.get_outfilename(pagename)).is_file()

    return unchanged


def save_generated_state(app: Sphinx, exception: Exception | None) -> None:
    """At build-finished: remember the digests of the generated pages of this build."""
    state = getattr(app, "talkbook_generated_state", None)
    if state is None or exception is not None:
        return
    path, digests = state
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(digests, sort_keys=True).encode())


def collect_pages(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str]]:
    """One page per talk, conference and tag, plus the tag index; unchanged ones are skipped."""
    if app.builder.format != "html":
        return
    unchanged = _unchanged_filter(app)
    neighbours = _talk_neighbours(app)
    for name, ctx, template in _collect_pages(app):
        if not unchanged(name, ctx, neighbours.get(name)):
            yield name, ctx, template


def _talk_neighbours(app: Sphinx) -> dict[str, list[Any]]:
    """Per talk page, its own row and the previous and next talk (catalog order) that its
    prev/next links show (``talkbook.meta.generated_neighbours``): the talk rows that the
    page's chrome may show besides its body."""
    cfg = tb_config.read(app.config)
    cat: Catalog = app.talkbook_catalog  # type: ignore[attr-defined]
    rows = cat.talks.to_dict("records")
    seq = [(t["id"], t["title"]) for t in rows]
    return {
        f"{cfg.talks_path}/{row['id']}": [
            row,
            seq[i - 1] if i > 0 else None,
            seq[i + 1] if i + 1 < len(seq) else None,
        ]
        for i, row in enumerate(rows)
    }


def generated_pagenames(app: Sphinx) -> list[str]:
    """Every talk, conference and tag page of this build, written or skipped as unchanged
    (``talkbook.meta.complete_sitemap`` lists the skipped ones too)."""
    state = getattr(app, "talkbook_generated_state", None)
    return sorted(state[1]) if state else []


def _collect_pages(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Yield one page per talk, conference and tag, plus the tag index (HTML builds:
    :func:`collect_pages` checks)."""
    cfg = tb_config.read(app.config)
    cat: Catalog = app.talkbook_catalog  # type: ignore[attr-defined]
    domain: TalkDomain = app.env.get_domain("talk")  # type: ignore[assignment]
    for talk in cat.talks.to_dict("records"):
        name = f"{cfg.talks_path}/{talk['id']}"
        ctx = _talk_context(app, cat, domain, talk, app.builder.get_target_uri(name))
        yield _page(name, talk["title"], "talk.html", talk["summary"], **ctx)
    for conf in cat.conferences.to_dict("records"):
        name = f"{cfg.conferences_path}/{conf['id']}"
        here = app.builder.get_target_uri(name)
        talks = _talk_rows(app, cat, domain, cat.talks_of(conf["id"]), here)
        notes = sorted(
            (
                _doc_link(app, domain, here, d)
                for d, p in domain.data["pages"].items()
                if p.get("conference") == conf["id"]
            ),
            key=lambda x: x["title"],
        )
        days = sorted({r["talk"]["day"] for r in talks})
        yield _page(
            name,
            conf["name"],
            "conference.html",
            conf["description"],
            conference=conf,
            talks=talks,
            days=days,
            notes=notes,
        )
    for tag in cat.tags.to_dict("records"):
        name = f"{cfg.tags_path}/{tag['id']}"
        here = app.builder.get_target_uri(name)
        talks = _talk_rows(app, cat, domain, cat.talks_tagged(tag["id"]), here)
        pages = sorted(
            (
                _doc_link(app, domain, here, d)
                for d, p in domain.data["pages"].items()
                if tag["id"] in p.get("tags", [])
            ),
            key=lambda x: x["title"],
        )
        yield _page(
            name,
            f"태그: {tag['label']}",
            "tag.html",
            tag["description"],
            tag=tag,
            talks=talks,
            pages=pages,
        )
    name = f"{cfg.tags_path}/index"
    here = app.builder.get_target_uri(name)
    tags = [
        {
            **t,
            "count": len(cat.talks_tagged(t["id"])),
            "uri": relative_uri(here, app.builder.get_target_uri(f"{cfg.tags_path}/{t['id']}")),
        }
        for t in cat.tags.sort_values("label").to_dict("records")
    ]
    yield _page(name, "태그", "tags.html", "talkbook의 모든 태그", tags=tags)
