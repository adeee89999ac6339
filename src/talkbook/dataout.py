"""Sphinx extension ``talkbook.dataout``: the catalog as data others can use.

* ``catalog.json`` at the site root: every talk with its titles, conference, day, speakers,
  tags, links, the URL of its page and of every note section covering it (written at
  ``build-finished``, every build: it is small and depends on every page).
* schema.org JSON-LD in the ``<head>`` of talk pages (``Event``, only fields the catalog
  has) and of notes (``Article``), added at ``html-page-context``.

The catalog and the ``talk`` domain are read in one place, :func:`site_data`, so a change
in how talks become pages touches one function.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from sphinx.application import Sphinx
from sphinx.locale import get_translation
from sphinx.util import logging
from sphinx.util.osutil import copyfile

from . import __version__
from . import config as tb_config
from .catalog import split_list
from .changes import unchanged
from .files import write_atomic

logger = logging.getLogger(__name__)
_ = get_translation("talkbook")

CATALOG_FILE = "catalog.json"
DATA_FOLDER = "data"  # the catalog's CSV files, as published


@dataclass
class SiteData:
    """What the data outputs need from the catalog and the domain, by docname."""

    catalog: Any  # talkbook.catalog.Catalog
    docnames: dict[str, dict[str, str]]  # table -> id -> docname of its generated page
    covers: dict[str, list[tuple[str, str, str]]]  # talk id -> [(docname, anchor, section)]
    pages: dict[str, dict[str, Any]]  # docname -> domain page info (title, kind, ...)
    note_kinds: tuple[str, ...] = ()
    talk_of_doc: dict[str, str] = field(default_factory=dict)  # talk page docname -> talk id


#: digest of this module (a change of what catalog.json holds makes it again)
_SOURCE_DIGEST = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:16]


def site_data(app: Sphinx) -> SiteData | None:
    """The adapter: rows from the catalog (the schema says what they hold), their page
    docnames, and backlinks from the ``talk`` domain. None when the book has no catalog."""
    if "talk" not in app.env.domains:
        return None
    cfg = tb_config.read(app.config)
    domain = app.env.get_domain("talk")
    cat = domain.catalog  # type: ignore[attr-defined]
    if cat is None:
        return None
    folders = {"talks": cfg.talks_path, "conferences": cfg.conferences_path, "tags": cfg.tags_path}
    docnames = {t: {i: f"{folders[t]}/{i}" for i in cat.rows_by_id(t)} for t in folders}
    return SiteData(
        catalog=cat,
        docnames=docnames,
        covers={t: domain.covers_of(t) for t in cat.talk_ids},  # type: ignore[attr-defined]
        pages=dict(domain.data["pages"]),
        note_kinds=cfg.note_kinds,
        talk_of_doc={d: i for i, d in docnames["talks"].items()},
    )


def site_url(app: Sphinx, docname: str, anchor: str = "") -> str:
    """The page's URL: absolute under ``html_baseurl``, else relative to the site root."""
    # dirhtml names the root page "" : "./" keeps it a link (and a feed id)
    uri = (app.builder.get_target_uri(docname) or "./") + (f"#{anchor}" if anchor else "")
    base = app.config.html_baseurl
    if not base:
        return uri
    base = base if base.endswith("/") else base + "/"
    if uri[0] not in "./#" and ":" not in uri:
        return base + uri  # what urljoin gives for a plain relative path, at a tenth the cost
    return urljoin(base, uri)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def row_json(app: Sphinx, data: SiteData, table: str, row: dict[str, str]) -> dict[str, Any]:
    """One catalog row as JSON, typed by the schema: numbers as numbers, lists as lists,
    references as ``{id, title, url}``, empty cells as null; plus the row's page URL."""
    cat = data.catalog
    out: dict[str, Any] = {}
    for col in cat.schema[table].columns:
        raw = (row.get(col.name) or "").strip()
        if col.type in ("list", "urls"):
            items = split_list(raw) if col.type == "list" else raw.split()
        else:
            items = [raw] if raw else []
        if col.ref in data.docnames:
            targets = cat.rows_by_id(col.ref)
            items = [
                {
                    "id": i,
                    "title": cat.title(col.ref, targets[i]) if i in targets else i,
                    "url": site_url(app, data.docnames[col.ref][i]) if i in targets else None,
                }
                for i in items
            ]
        elif col.type == "int":
            items = [_int(i) for i in items]
        out[col.name] = items if col.type in ("list", "urls") else (items[0] if items else None)
    docname = data.docnames[table].get(row["id"])
    out["url"] = site_url(app, docname) if docname else None
    return out


def catalog_document(app: Sphinx, data: SiteData) -> dict[str, Any]:
    """The content of catalog.json: every row of every table, typed by the schema, each
    talk with the note sections covering it, and every note."""
    cat = data.catalog
    talks = []
    for row in cat.rows("talks"):
        talk = row_json(app, data, "talks", row)
        talk["notes"] = [
            {
                "url": site_url(app, doc, anchor),
                "page": data.pages.get(doc, {}).get("title", doc),
                "section": section,
            }
            for doc, anchor, section in data.covers.get(row["id"], [])
        ]
        talks.append(talk)
    notes = [
        {
            "id": doc,
            "url": site_url(app, doc),
            "title": page.get("title", doc),
            "kind": page["kind"],
            "conference": page.get("conference") or None,
            "day": _int(page.get("day")),
            "tags": list(page.get("tags", [])),
            "talks": list(page.get("talks", [])),
            "description": page.get("description") or None,
        }
        for doc, page in sorted(data.pages.items())
        if page.get("kind") in data.note_kinds
    ]
    return {
        "generator": f"talkbook {__version__}",
        "title": app.config.html_title or app.config.project,
        "home": site_url(app, app.config.root_doc),
        "schema": {t: [c.name for c in cat.schema[t].columns] for t in data.docnames},
        "conferences": [row_json(app, data, "conferences", r) for r in cat.rows("conferences")],
        "tags": [row_json(app, data, "tags", r) for r in cat.rows("tags")],
        "talks": talks,
        "notes": notes,
        "data_files": sorted(p.name for p in data_files(app)),
    }


def data_files(app: Sphinx) -> list[Path]:
    """The catalog's CSV files and schema, published as they are under ``data/``."""
    folder = Path(app.confdir) / tb_config.read(app.config).data_dir
    return sorted([*folder.glob("*.csv"), *folder.glob("schema.yaml")])


def write_catalog(app: Sphinx, exception: Exception | None) -> None:
    """catalog.json, and copies of the catalog files under ``data/`` (notebooks read them)."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    (outdir / DATA_FOLDER).mkdir(exist_ok=True)
    files = data_files(app)
    for src in files:  # copyfile leaves a file with the same content alone
        copyfile(src, outdir / DATA_FOLDER / src.name)
    path = outdir / CATALOG_FILE
    if unchanged(app, path):
        return
    stamp_path = Path(app.doctreedir) / "talkbook-catalog.stamp"
    stamp = catalog_inputs(app, files)
    if stamp is not None and path.is_file():
        try:
            if stamp_path.read_text(encoding="utf-8") == stamp:
                return  # an edit that changed no page's front matter, cover or row
        except OSError:
            pass
    data = site_data(app)
    if data is None:
        return
    doc = catalog_document(app, data)
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    write_atomic(path, text.encode("utf-8"), sync=False)
    if stamp is not None:
        write_atomic(stamp_path, stamp.encode("utf-8"), sync=False)


def catalog_inputs(app: Sphinx, files: list[Path]) -> str | None:
    """A digest of everything catalog.json is made of: the pages' front matter and covered
    sections (the domain), the catalog files, the documents and the settings its URLs and
    title come from, and this module. Making the document costs ~1 s at 10,000 pages; this,
    a tenth of it."""
    if "talk" not in app.env.domains:
        return None
    domain = app.env.get_domain("talk")
    digests = [(p.name, hashlib.sha1(p.read_bytes()).hexdigest()) for p in files]
    config = app.config
    text = json.dumps(
        [
            __version__,
            _SOURCE_DIGEST,
            domain.data["pages"],
            domain.data["covers"],
            digests,
            sorted(app.env.found_docs),
            [config.html_baseurl, config.html_title, config.project, config.root_doc],
            repr(tb_config.read(config)),
            [app.builder.name, getattr(app.builder, "out_suffix", "")],
        ],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- JSON-LD


def talk_event(app: Sphinx, data: SiteData, talk_id: str) -> dict[str, Any]:
    """schema.org ``Event`` for a talk, with only what the catalog holds."""
    cat = data.catalog
    table = cat.schema["talks"]
    talk = cat.talk(talk_id)
    url = site_url(app, data.docnames["talks"][talk_id])
    event: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": url,
        "url": url,
        "name": cat.title("talks", talk),
        "inLanguage": app.config.language or "en",
    }
    if table.subtitle and talk.get(table.subtitle):
        event["alternateName"] = talk[table.subtitle]
    if table.summary and talk.get(table.summary):
        event["description"] = talk[table.summary]
    tags = cat.rows_by_id("tags")
    keywords = [cat.title("tags", tags[t]) for t in cat.refs("talks", talk, "tags") if t in tags]
    if keywords:
        event["keywords"] = keywords
    conf = cat.conference_of(talk)
    if conf is not None:
        ctable = cat.schema["conferences"]
        superevent: dict[str, Any] = {
            "@type": "Event",
            "name": cat.title("conferences", conf),
            "url": site_url(app, data.docnames["conferences"][conf["id"]]),
        }
        for col in ctable.columns:
            value = (conf.get(col.name) or "").strip()
            if col.type == "date" and value:
                start, _sep, end = value.partition("/")
                superevent["startDate"], superevent["endDate"] = start, end or start
        event["superEvent"] = superevent
    people = cat.people_column
    if people is not None and talk.get(people.name):
        names = split_list(talk[people.name]) if people.type == "list" else [talk[people.name]]
        event["performer"] = [{"@type": "Person", "name": n} for n in names]
    material = [
        {"@type": "CreativeWork", "name": col.label or col.name, "url": talk[col.name]}
        for col in table.columns
        if col.type == "url" and talk.get(col.name)
    ]
    notes = [
        {"@type": "Article", "url": site_url(app, doc, anchor), "headline": section}
        for doc, anchor, section in data.covers.get(talk_id, [])
    ]
    if material or notes:
        event["subjectOf"] = material + notes
    return event


def note_article(app: Sphinx, data: SiteData, docname: str) -> dict[str, Any]:
    page = data.pages[docname]
    url = site_url(app, docname)
    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": url,
        "url": url,
        "headline": page.get("title", docname),
        "inLanguage": app.config.language or "en",
        "isPartOf": {
            "@type": "WebSite",
            "name": app.config.html_title or app.config.project,
            "url": site_url(app, app.config.root_doc),
        },
    }
    if page.get("description"):
        article["description"] = page["description"]
    tags = data.catalog.rows_by_id("tags")
    if page.get("tags"):
        article["keywords"] = [
            data.catalog.title("tags", tags[t]) for t in page["tags"] if t in tags
        ]
    if app.config.author:
        article["author"] = {"@type": "Organization", "name": app.config.author}
    dates = note_dates(app, docname)
    if dates.get("published"):
        article["datePublished"] = dates["published"]
    if dates.get("modified"):
        article["dateModified"] = dates["modified"]
    talks = [t for t in page.get("talks", []) if data.catalog.has_talk(t)]
    if talks:
        article["about"] = [
            {
                "@type": "Event",
                "name": data.catalog.title("talks", data.catalog.talk(t)),
                "url": site_url(app, data.docnames["talks"][t]),
            }
            for t in talks
        ]
    return article


def note_dates(app: Sphinx, docname: str) -> dict[str, str]:
    """``published``: the front matter's ``date``; ``modified``: the last git commit
    (sphinx-last-updated-by-git), both ISO 8601 when known."""
    from datetime import UTC, datetime

    out: dict[str, str] = {}
    meta = app.env.metadata.get(docname, {}).get("talkbook")
    if isinstance(meta, str):  # myst keeps front-matter mappings as JSON text
        try:
            meta = json.loads(meta)
        except ValueError:
            meta = None
    if isinstance(meta, dict) and meta.get("date"):
        out["published"] = str(meta["date"]).split("/")[0]
    git = getattr(app.env, "git_last_updated", {}).get(docname)
    if git and git[0]:
        stamp = int(git[0])
        out["modified"] = datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")
    return out


def json_ld_script(data: dict[str, Any]) -> str:
    # inside <script>, "</" would end the element early
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def add_json_ld(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    data = site_data_cached(app)
    if data is None:
        return
    if pagename in data.talk_of_doc:
        script = json_ld_script(talk_event(app, data, data.talk_of_doc[pagename]))
    elif data.pages.get(pagename, {}).get("kind") in data.note_kinds:
        script = json_ld_script(note_article(app, data, pagename))
    else:
        script = ""
    if pagename == app.config.root_doc or pagename == tb_config.read(app.config).catalog_page:
        href = html.escape(context["pathto"](CATALOG_FILE, 1))
        title = html.escape(_("Talk catalog (JSON)"))
        script += f'\n<link rel="alternate" type="application/json" href="{href}" title="{title}">'
    if script:
        context["metatags"] = context.get("metatags", "") + script + "\n"


def site_data_cached(app: Sphinx) -> SiteData:
    """:func:`site_data` once per writing phase (reset when the environment is updated)."""
    env = app.env
    if "_talkbook_site_data" not in env.__dict__:
        env.__dict__["_talkbook_site_data"] = site_data(app)
    return env.__dict__["_talkbook_site_data"]


def forget_site_data(app: Sphinx, env: Any) -> None:
    env.__dict__.pop("_talkbook_site_data", None)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("talkbook.ext")
    app.setup_extension("talkbook.changes")
    app.connect("env-updated", forget_site_data)
    app.connect("html-page-context", add_json_ld, priority=700)
    app.connect("build-finished", write_catalog)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
