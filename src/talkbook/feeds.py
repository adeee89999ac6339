"""Sphinx extension ``talkbook.feeds``: an Atom feed of the notes (feedgen).

``atom.xml`` at the site root lists every note (front-matter kind review, memo or essay),
newest first: by the front matter's ``date`` when given, else the last git commit of the
file. Every page links it from ``<head>`` (``<link rel="alternate"
type="application/atom+xml">``) so feed readers find it from any page.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.locale import get_translation

from . import __version__
from . import config as tb_config
from .changes import unchanged
from .dataout import note_dates, site_url
from .files import write_atomic

_ = get_translation("talkbook")

FEED_FILE = "atom.xml"


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def feed_entries(app: Sphinx) -> list[dict[str, Any]]:
    """One entry per note, newest first (then by title, so the order is stable)."""
    domain = app.env.get_domain("talk")
    cat = domain.catalog  # type: ignore[attr-defined]
    tags = cat.rows_by_id("tags") if cat is not None else {}
    kinds = tb_config.read(app.config).note_kinds
    entries = []
    for docname, page in domain.data["pages"].items():
        if page.get("kind") not in kinds or docname not in app.env.all_docs:
            continue
        dates = note_dates(app, docname)
        published, modified = _when(dates.get("published")), _when(dates.get("modified"))
        sort_date = published or modified
        entries.append(
            {
                "url": site_url(app, docname),
                "title": page.get("title", docname),
                "summary": page.get("description", ""),
                "tags": [cat.title("tags", tags[t]) for t in page.get("tags", []) if t in tags],
                "published": published,
                "updated": modified or published,
                "sort": sort_date or datetime.fromtimestamp(0, UTC),
            }
        )
    entries.sort(key=lambda e: e["title"])
    entries.sort(key=lambda e: e["sort"], reverse=True)
    return entries


def write_feed(app: Sphinx, exception: Exception | None) -> None:
    path = Path(app.outdir) / FEED_FILE
    if exception is not None or app.builder.format != "html" or unchanged(app, path):
        return
    from feedgen.feed import FeedGenerator

    entries = feed_entries(app)[: max(1, tb_config.read(app.config).feed_size)]
    title = app.config.html_title or app.config.project
    home = site_url(app, app.config.root_doc)
    fg = FeedGenerator()
    fg.id(site_url(app, app.config.root_doc))
    fg.title(f"{title} — {_('Notes')}")
    fg.link(href=home, rel="alternate")
    fg.link(href=site_url_of_file(app, FEED_FILE), rel="self")
    fg.language(app.config.language or "en")
    fg.generator("talkbook", __version__)
    if app.config.author:
        fg.author({"name": app.config.author})
    newest = max((e["updated"] for e in entries if e["updated"]), default=None)
    fg.updated(newest or datetime.fromtimestamp(0, UTC))
    # feedgen prepends entries: add the oldest first so the file lists the newest first
    for e in reversed(entries):
        fe = fg.add_entry()
        fe.id(e["url"])
        fe.title(e["title"])
        fe.link(href=e["url"], rel="alternate")
        if e["summary"]:
            fe.summary(e["summary"])
        for label in e["tags"]:
            fe.category(term=label)
        fe.updated(e["updated"] or datetime.fromtimestamp(0, UTC))
        if e["published"]:
            fe.published(e["published"])
    write_atomic(path, fg.atom_str(pretty=True), sync=False)


def site_url_of_file(app: Sphinx, name: str) -> str:
    base = app.config.html_baseurl
    return (base if base.endswith("/") else base + "/") + name if base else name


def link_feed(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    href = html.escape(context["pathto"](FEED_FILE, 1))
    title = html.escape(f"{app.config.html_title or app.config.project} — {_('Notes')} (Atom)")
    link = f'<link rel="alternate" type="application/atom+xml" href="{href}" title="{title}">'
    context["metatags"] = context.get("metatags", "") + link + "\n"


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("talkbook.dataout")
    app.setup_extension("talkbook.changes")
    app.connect("html-page-context", link_feed, priority=700)
    app.connect("build-finished", write_feed)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
