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

import html
import json
import os
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

logger = logging.getLogger(__name__)
_ = get_translation("talkbook")

CATALOG_FILE = "catalog.json"
DATA_FOLDER = "data"  # the catalog's CSV files, as published
NOTE_KINDS = ("review", "memo", "essay")  # front-matter kinds that are notes (see schema.yaml)


@dataclass
class SiteData:
    """What the data outputs need from the catalog and the domain, by docname."""

    talks: list[dict[str, Any]]  # catalog rows, lists split, with "docname"
    conferences: dict[str, dict[str, Any]]  # id -> row with "docname"
    tags: dict[str, dict[str, Any]]  # id -> row with "docname"
    covers: dict[str, list[tuple[str, str, str]]]  # talk id -> [(docname, anchor, section)]
    pages: dict[str, dict[str, Any]]  # docname -> domain page info (title, kind, ...)
    talk_of_doc: dict[str, str] = field(default_factory=dict)  # talk page docname -> talk id


def site_data(app: Sphinx) -> SiteData:
    """The adapter: talks, conferences and tags from ``talkbook.catalog`` (the catalog loaded
    by ``talkbook.ext``), their page docnames, and backlinks from the ``talk`` domain."""
    cfg = tb_config.read(app.config)
    cat = app.talkbook_catalog  # type: ignore[attr-defined]
    domain = app.env.get_domain("talk")
    talks = []
    for row in cat.talks.to_dict("records"):
        talk = dict(row)
        for key in ("speakers", "tags"):
            talk[key] = split_list(row[key])
        talk["links"] = row["links"].split()
        talk["docname"] = f"{cfg.talks_path}/{row['id']}"
        talks.append(talk)
    conferences = {
        c["id"]: {**c, "docname": f"{cfg.conferences_path}/{c['id']}"}
        for c in cat.conferences.to_dict("records")
    }
    tags = {
        t["id"]: {**t, "docname": f"{cfg.tags_path}/{t['id']}"} for t in cat.tags.to_dict("records")
    }
    return SiteData(
        talks=talks,
        conferences=conferences,
        tags=tags,
        covers={t["id"]: domain.covers_of(t["id"]) for t in talks},  # type: ignore[attr-defined]
        pages=dict(domain.data["pages"]),
        talk_of_doc={t["docname"]: t["id"] for t in talks},
    )


def site_url(app: Sphinx, docname: str, anchor: str = "") -> str:
    """The page's URL: absolute under ``html_baseurl``, else relative to the site root."""
    uri = app.builder.get_target_uri(docname) + (f"#{anchor}" if anchor else "")
    base = app.config.html_baseurl
    return urljoin(base if base.endswith("/") else base + "/", uri) if base else uri


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def catalog_document(app: Sphinx, data: SiteData) -> dict[str, Any]:
    """The content of catalog.json."""
    talks = []
    for t in data.talks:
        conf = data.conferences[t["conference"]]
        talks.append(
            {
                "id": t["id"],
                "title": t["title"],
                "title_en": t["title_en"],
                "title_recorded": t["title_status"] == "recorded",
                "kind": t["kind"],
                "conference": {"id": conf["id"], "name": conf["name"]},
                "day": _int(t["day"]),
                "speakers": t["speakers"],
                "organization": t["organization"] or None,
                "tags": [{"id": tag, "label": data.tags[tag]["label"]} for tag in t["tags"]],
                "links": {
                    "slides": t["slides_url"] or None,
                    "video": t["video_url"] or None,
                    "other": t["links"],
                },
                "summary": t["summary"],
                "url": site_url(app, t["docname"]),
                "notes": [
                    {
                        "url": site_url(app, doc, anchor),
                        "page": data.pages.get(doc, {}).get("title", doc),
                        "section": section,
                    }
                    for doc, anchor, section in data.covers.get(t["id"], [])
                ],
            }
        )
    conferences = [
        {
            "id": c["id"],
            "name": c["name"],
            "series": c["series"],
            "year": _int(c["year"]),
            "dates": c["dates"] or None,
            "location": c["location"] or None,
            "url": site_url(app, c["docname"]),
        }
        for c in data.conferences.values()
    ]
    tags = [
        {
            "id": t["id"],
            "label": t["label"],
            "label_en": t["label_en"],
            "url": site_url(app, t["docname"]),
        }
        for t in data.tags.values()
    ]
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
        if page.get("kind") in NOTE_KINDS
    ]
    return {
        "generator": f"talkbook {__version__}",
        "title": app.config.html_title or app.config.project,
        "home": site_url(app, app.config.root_doc),
        "conferences": conferences,
        "tags": tags,
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
    doc = catalog_document(app, site_data(app))
    outdir = Path(app.outdir)
    path = outdir / CATALOG_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    (outdir / DATA_FOLDER).mkdir(exist_ok=True)
    for src in data_files(app):
        copyfile(src, outdir / DATA_FOLDER / src.name)


# --------------------------------------------------------------------------- JSON-LD


def talk_event(app: Sphinx, data: SiteData, talk_id: str) -> dict[str, Any]:
    talk = next(t for t in data.talks if t["id"] == talk_id)
    conf = data.conferences[talk["conference"]]
    superevent: dict[str, Any] = {
        "@type": "Event",
        "name": conf["name"],
        "url": site_url(app, conf["docname"]),
    }
    if conf.get("dates"):
        start, _sep, end = conf["dates"].partition("/")
        superevent["startDate"] = start
        superevent["endDate"] = end or start
    if conf.get("location"):
        superevent["location"] = {"@type": "Place", "name": conf["location"]}
    event: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": site_url(app, talk["docname"]),
        "url": site_url(app, talk["docname"]),
        "name": talk["title"],
        "alternateName": talk["title_en"],
        "description": talk["summary"],
        "inLanguage": app.config.language or "en",
        "keywords": [data.tags[t]["label"] for t in talk["tags"]],
        "superEvent": superevent,
    }
    if talk["speakers"]:
        event["performer"] = [{"@type": "Person", "name": s} for s in talk["speakers"]]
    material = [
        {"@type": kind, "url": url}
        for kind, url in (
            ("PresentationDigitalDocument", talk["slides_url"]),
            ("VideoObject", talk["video_url"]),
        )
        if url
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
    if page.get("tags"):
        article["keywords"] = [data.tags[t]["label"] for t in page["tags"] if t in data.tags]
    if app.config.author:
        article["author"] = {"@type": "Organization", "name": app.config.author}
    dates = note_dates(app, docname)
    if dates.get("published"):
        article["datePublished"] = dates["published"]
    if dates.get("modified"):
        article["dateModified"] = dates["modified"]
    talks = [t for t in data.talks if t["id"] in set(page.get("talks", []))]
    if talks:
        article["about"] = [
            {"@type": "Event", "name": t["title"], "url": site_url(app, t["docname"])}
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
    if pagename in data.talk_of_doc:
        script = json_ld_script(talk_event(app, data, data.talk_of_doc[pagename]))
    elif data.pages.get(pagename, {}).get("kind") in NOTE_KINDS:
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
    data = getattr(app, "_talkbook_site_data", None)
    if data is None:
        data = app._talkbook_site_data = site_data(app)  # type: ignore[attr-defined]
    return data


def forget_site_data(app: Sphinx, env: Any) -> None:
    app._talkbook_site_data = None  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("talkbook.ext")
    app.connect("env-updated", forget_site_data)
    app.connect("html-page-context", add_json_ld, priority=700)
    app.connect("build-finished", write_catalog)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
