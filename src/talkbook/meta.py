"""Sphinx extension ``talkbook.meta``: the reading experience around the pages.

* Site navigation: header links to the catalog, conferences, tags, topic threads and the
  glossary (``talkbook-nav.html``; on phones the theme moves them into the menu drawer),
  breadcrumbs above every page, previous/next and an "on this page" list on the generated
  talk, conference and tag pages.
* Page source: a visible "this page's source" line with GitHub links (view, edit, open an
  issue) built from the one ``repository:`` setting, Korean labels on the theme's repository
  buttons, and the last-updated date from git (``sphinx-last-updated-by-git``; a build
  without ``.git`` or with a shallow clone simply shows no date).
* Sharing: OpenGraph/Twitter tags on every page (``sphinxext-opengraph`` for documents, our
  own tags for generated pages) with the note's front-matter ``description``, a sitemap
  (``sphinx-sitemap``, generated pages included) and a Korean 404 page
  (``sphinx-notfound-page``) whose links work at any depth.
* Stable URLs: ``data/redirects.csv`` (``from,to`` docnames) becomes redirect pages
  (``sphinx-reredirects``); a redirect that would hide a live page or points nowhere warns.

Everything derives from settings that already exist: ``html.baseurl`` (og:url, sitemap,
canonical links, 404 links), ``repository:`` (source links), ``title``. Values set
explicitly in ``_config.yml`` always win over the defaults set here.
"""

from __future__ import annotations

import ast
import csv
import html
import importlib
import importlib.util
import queue
import re
import string
import sys
import types
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlparse

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from . import __version__
from . import config as tb_config
from .files import write_if_changed
from .generate import is_generated
from .i18n import _

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "meta_templates"
EXTENSIONS = (
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "notfound.extension",
    "sphinx_reredirects",
    "sphinx_last_updated_by_git",
)
BOOK_THEMES = ("sphinx_book_theme", "pydata_sphinx_theme")
OG_LOCALES = {"ko": "ko_KR", "en": "en_US", "ja": "ja_JP"}

# Labels for the book theme's repository buttons (its catalogues lack most of them)
BUTTON_LABELS = {
    "source-repository-button": ("Repository", "Source repository"),
    "source-file-button": ("Show source", "Show this page's source file"),
    "source-edit-button": ("Suggest edit", "Edit this page on GitHub"),
    "source-issues-button": ("Open issue", "Open an issue about this page"),
    "source-buttons": ("", "Repository and source"),
}


# --------------------------------------------------------------------------- config


def provided(config: Config, name: str) -> bool:
    """True when _config.yml (or conf.py / -D) set ``name`` explicitly."""
    return name in config.overrides or name in config._raw_config  # noqa: SLF001


def set_default(config: Config, name: str, value: Any) -> None:
    if not provided(config, name):
        config[name] = value


def site_url(config: Config) -> str:
    base = config.html_baseurl or ""
    return base if not base or base.endswith("/") else base + "/"


def redirect_template(app: Sphinx, config: Config) -> Path:
    """sphinx-reredirects' page template in the book's language (it fills ``${to_uri}``)."""
    text = string.Template((TEMPLATES / "redirect.html").read_text(encoding="utf-8")).substitute(
        lang=html.escape((config.language or "en").split("_")[0]),
        title=html.escape(_("Page moved")),
        moved=html.escape(_("This page has moved to a new address")),
    )
    path = Path(app.doctreedir) / "talkbook-redirect.html"
    write_if_changed(path, text.encode("utf-8"))
    return path


def on_config_inited(app: Sphinx, config: Config) -> None:
    """Defaults for the extensions we load, derived from the book's single settings."""
    base = site_url(config)
    title = config.html_title or config.project
    # OpenGraph: absolute URLs from html.baseurl; no matplotlib social cards (slow, no Hangul font)
    set_default(config, "ogp_site_url", base)
    set_default(config, "ogp_site_name", title if title and title != "Python" else False)
    set_default(config, "ogp_social_cards", {"enable": False})
    # Sitemap: plain URLs (no /ko/ prefix), no utility pages, git dates as lastmod
    set_default(config, "sitemap_url_scheme", "{link}")
    set_default(
        config, "sitemap_excludes", ["search.html", "genindex.html", "404.html", "py-modindex.html"]
    )
    set_default(config, "sitemap_show_lastmod", True)
    # 404: absolute links under the site's path, Korean text
    set_default(config, "notfound_urls_prefix", (urlparse(base).path or "/") if base else "/")
    missing = html.escape(_("Page not found"))
    links = f'<li><a href="__HOME__">{html.escape(_("Home page"))}</a></li>'
    if tb_config.read(config).catalog_page:
        links += f'<li><a href="__CATALOG__">{html.escape(_("Talk catalog"))}</a></li>'
    set_default(
        config,
        "notfound_context",
        {
            "title": _("Page not found"),
            "body": f"<h1>{missing}</h1><p>"
            + html.escape(
                _("The address may have changed or been mistyped. Try the menu or the search.")
            )
            + f"</p><ul>{links}</ul>",
        },
    )
    # Last updated from git: the page's own commits only (not the catalog CSVs every page
    # depends on); no .git, no git or a shallow clone must not fail a strict build
    set_default(config, "git_untracked_show_sourcelink", True)
    data_dir = tb_config.read(config).data_dir.strip("/")
    if not provided(config, "git_exclude_patterns"):
        config.git_exclude_patterns = [f"{data_dir}/**", f"{data_dir}/*"]
    if "git" not in config.suppress_warnings:
        config.suppress_warnings = [*config.suppress_warnings, "git"]
    # Redirect pages: our template
    if not provided(config, "redirect_html_template_file"):
        config.redirect_html_template_file = str(redirect_template(app, config))
    if not base and "sitemap.configuration" not in config.suppress_warnings:
        # no site URL, no sitemap: sphinx-sitemap's warning would fail every strict build
        config.suppress_warnings = [*config.suppress_warnings, "sitemap.configuration"]
    if config.html_theme not in BOOK_THEMES:
        return  # the header, breadcrumb and footer slots below are the book theme's
    # Theme: header navigation, breadcrumbs, page-source line in the article footer
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path = [str(TEMPLATES), *config.templates_path]
    opts = config.html_theme_options
    if opts.get("search_bar_text") in (None, "Search this book..."):  # Jupyter Book's default
        opts["search_bar_text"] = _("Search this book…")
    opts.setdefault("navbar_center", ["talkbook-nav.html"])
    opts.setdefault(
        "article_header_start", ["toggle-primary-sidebar.html", "talkbook-breadcrumbs.html"]
    )
    opts.setdefault(
        "footer_content_items",
        [
            "talkbook-page-source.html",
            "author.html",
            "copyright.html",
            "last-updated.html",
            "extra-footer.html",
        ],
    )


# --------------------------------------------------------------------------- site structure


def toc_structure(app: Sphinx, env: BuildEnvironment) -> dict[str, Any]:
    """Reading order of the documents, the part caption each one sits under, and each
    document's parent in the toctree (generated pages hang below the catalog page)."""
    order: list[str] = []
    seen: set[str] = set()  # (a membership test on `order` made the walk O(N^2))
    part: dict[str, str] = {}
    parent: dict[str, str] = {}
    root = app.config.root_doc

    def walk(doc: str, caption: str, up: str) -> None:
        if doc in seen or doc not in env.all_docs:
            return
        seen.add(doc)
        order.append(doc)
        if up != root:
            parent[doc] = up
        if caption:
            part[doc] = caption
        for child in env.toctree_includes.get(doc, []):
            walk(child, caption, doc)

    order.append(root)
    seen.add(root)
    try:
        tree = env.get_doctree(root)
    except Exception:  # noqa: BLE001 - no root doctree (e.g. an empty test book)
        tree = None
    if tree is not None:
        for toctree in tree.findall(addnodes.toctree):
            for _title, ref in toctree["entries"]:
                if ref in env.all_docs:
                    walk(ref, toctree.get("caption") or "", root)
    return {"order": order, "part": part, "parent": parent}


def on_env_updated(app: Sphinx, env: BuildEnvironment) -> None:
    env.talkbook_site = toc_structure(app, env)  # type: ignore[attr-defined]


def site(app: Sphinx) -> dict[str, Any]:
    env = app.env
    if getattr(env, "talkbook_site", None) is None:
        env.talkbook_site = toc_structure(app, env)  # type: ignore[attr-defined]
    return env.talkbook_site  # type: ignore[attr-defined]


def once(app: Sphinx, key: str, compute: Any) -> Any:
    """A page-independent value, computed once per build (site() is rebuilt at env-updated)."""
    cache = site(app).setdefault("_once", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def glossary_doc(env: BuildEnvironment) -> str | None:
    for (kind, _name), (docname, _anchor) in env.get_domain("std").objects.items():  # type: ignore[attr-defined]
        if kind == "term":
            return docname
    return None


def doc_title(env: BuildEnvironment, docname: str) -> str:
    title = env.titles.get(docname)
    return title.astext() if title is not None else docname


def pages_info(env: BuildEnvironment) -> dict[str, dict[str, Any]]:
    """Front matter of every page, when talkbook.ext is loaded (empty otherwise)."""
    if "talk" not in env.domains:
        return {}
    return env.get_domain("talk").data.get("pages", {})


def catalog_of(env: BuildEnvironment) -> Any:
    if "talk" not in env.domains:
        return None
    return env.get_domain("talk").catalog  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- page context


def link(app: Sphinx, here: str, target: str, title: str) -> dict[str, str]:
    builder = app.builder
    return {
        "uri": relative_uri(builder.get_target_uri(here), builder.get_target_uri(target)),
        "title": title,
    }


def navigation(app: Sphinx, pagename: str) -> dict[str, Any]:
    """Header navigation: catalog, conferences, tags, menus of chosen page kinds, glossary."""
    env = app.env
    cfg = tb_config.read(app.config)
    cat = catalog_of(env)
    items: list[dict[str, Any]] = []
    if cfg.catalog_page and cfg.catalog_page in env.all_docs:
        items.append(
            {
                **link(app, pagename, cfg.catalog_page, _("Talk catalog")),
                "current": pagename == cfg.catalog_page,
            }
        )
    if cat is not None and cat.count("conferences"):
        conferences = once(app, "conferences", lambda: cat.rows("conferences"))
        confs = []
        for c in conferences:
            target = f"{cfg.conferences_path}/{c['id']}"
            if target in env.all_docs:
                confs.append(
                    {
                        **link(app, pagename, target, cat.title("conferences", c)),
                        "current": pagename == target,
                    }
                )
        if confs:
            items.append(
                {
                    "title": _("Conferences"),
                    "id": "conferences",
                    "children": confs,
                    "current": any(c["current"] for c in confs),
                }
            )
    tags_index = f"{cfg.tags_path}/index"
    if cat is not None and cat.count("tags") and tags_index in env.all_docs:
        items.append(
            {
                **link(app, pagename, tags_index, _("Tags")),
                "current": pagename.startswith(cfg.tags_path + "/"),
            }
        )
    pages = pages_info(env)
    for kind in cfg.header_kinds:
        docs = once(
            app,
            f"kind:{kind}",
            lambda kind=kind: [
                d for d in site(app)["order"] if pages.get(d, {}).get("kind") == kind
            ],
        )
        if docs:
            label = next(
                (
                    p.get("kind_label")
                    for d, p in pages.items()
                    if p.get("kind") == kind and p.get("kind_label")
                ),
                kind,
            )
            children = [
                {**link(app, pagename, d, doc_title(env, d)), "current": d == pagename}
                for d in docs
            ]
            items.append(
                {
                    "title": label,
                    "id": f"kind-{kind}",
                    "children": children,
                    "current": pagename in docs,
                }
            )
    gloss = once(app, "glossary", lambda: glossary_doc(env))
    if gloss:
        items.append(
            {**link(app, pagename, gloss, doc_title(env, gloss)), "current": pagename == gloss}
        )
    return {"items": items}


def breadcrumbs(app: Sphinx, pagename: str, context: dict[str, Any]) -> list[dict[str, str]]:
    """Home › part › ancestors in the toctree › this page; the last crumb has no link."""
    env = app.env
    root = app.config.root_doc
    if pagename == root or pagename not in env.all_docs:
        return []
    crumbs = [link(app, pagename, root, _("Home"))]
    structure = site(app)
    chain, doc = [], structure["parent"].get(pagename)
    while doc and doc not in chain:
        chain.append(doc)
        doc = structure["parent"].get(doc)
    chain.reverse()
    caption = structure["part"].get(pagename)
    if caption and not chain:  # a page's part; pages deeper in the tree show their parents
        crumbs.append({"uri": "", "title": caption})
    crumbs += [link(app, pagename, d, doc_title(env, d)) for d in chain]
    title = re.sub(r"<[^>]+>", "", str(context.get("title", "")))
    crumbs.append({"uri": "", "title": html.unescape(title), "current": "1"})
    return crumbs


def repository(app: Sphinx) -> dict[str, str] | None:
    opts = app.config.html_theme_options or {}
    url = str(opts.get("repository_url") or "").rstrip("/")
    if not url:
        return None
    branch = str(opts.get("repository_branch") or "main")
    prefix = str(opts.get("path_to_docs") or "").strip("/")
    return {"url": url, "branch": branch, "prefix": prefix + "/" if prefix else ""}


def source_file(app: Sphinx, pagename: str) -> tuple[str, bool] | None:
    """The repository file a page comes from (a note, or the catalog file of a generated
    page) and whether it is the data behind the page rather than the page itself."""
    env = app.env
    if pagename not in env.all_docs:
        return None
    path = Path(env.doc2path(pagename))
    if not is_generated(path):
        return str(env.doc2path(pagename, base=False)).replace("\\", "/"), False
    cat = catalog_of(env)
    cfg = tb_config.read(app.config)
    folder = pagename.partition("/")[0]
    table = {
        cfg.talks_path: "talks",
        cfg.speakers_path: "talks",
        cfg.conferences_path: "conferences",
        cfg.tags_path: "tags",
    }.get(folder)
    if cat is None or table is None:
        return None
    return f"{cfg.data_dir.strip('/')}/{cat.schema[table].file}", True


def source_links(app: Sphinx, pagename: str, context: dict[str, Any]) -> dict[str, str] | None:
    """View/edit/issue URLs for the file a page comes from (a note, or a catalog CSV)."""
    repo = repository(app)
    found = source_file(app, pagename)
    if repo is None or found is None:
        return None
    path, is_data = found
    full = repo["prefix"] + path
    page_url = (
        urljoin(site_url(app.config), app.builder.get_target_uri(pagename))
        if site_url(app.config)
        else pagename
    )
    page_title = re.sub(r"<[^>]+>", "", str(context.get("title", pagename)))
    title = _("Problem on page: {title}").format(title=page_title)
    body = _("Page: {url}\nSource: {path}\n\nPlease describe the problem.").format(
        url=page_url, path=full
    )
    return {
        "path": full,
        "what": _("Data behind this page") if is_data else _("Source of this page"),
        "view": f"{repo['url']}/blob/{repo['branch']}/{quote(full)}",
        "edit": f"{repo['url']}/edit/{repo['branch']}/{quote(full)}",
        "issue": f"{repo['url']}/issues/new?title={quote(title)}&body={quote(body)}",
        "edit_label": _("Edit"),
        "issue_label": _("Open an issue"),
    }


def meta_tag(prop: str, content: str, attr: str = "property") -> str:
    return f'<meta {attr}="{prop}" content="{html.escape(content, quote=True)}" />'


def description_of(app: Sphinx, pagename: str) -> str:
    return str(pages_info(app.env).get(pagename, {}).get("description", "") or "")


def on_page_context_early(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """Runs before the theme and opengraph (priority 400): navigation and sharing tags."""
    if app.builder.format != "html":
        return
    context["talkbook_nav"] = navigation(app, pagename)
    context["talkbook_breadcrumbs"] = breadcrumbs(app, pagename, context)
    context["talkbook_source"] = source_links(app, pagename, context)
    context["talkbook_labels"] = {
        "site_menu": _("Site navigation"),
        "breadcrumbs": _("Breadcrumb"),
    }
    tags: list[str] = []
    desc = description_of(app, pagename)
    lang = (app.config.language or "").split("_")[0]
    meta = dict(context.get("meta") or {})
    if desc:
        tags.append(meta_tag("description", desc, "name"))
        meta.setdefault("og:description", desc)
    kind = pages_info(app.env).get(pagename, {}).get("kind", "")
    if kind in tb_config.read(app.config).note_kinds:
        meta.setdefault("og:type", "article")
    context["meta"] = meta
    if pagename != app.config.notfound_pagename:
        if lang in OG_LOCALES:
            tags.append(meta_tag("og:locale", OG_LOCALES[lang]))
        tags.append(meta_tag("twitter:card", "summary", "name"))
    else:
        tags.append(meta_tag("robots", "noindex", "name"))
    context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(tags) + "\n"


def on_page_context_late(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """Runs after the book theme made its header buttons (501): translated labels, the issue
    text, and for generated pages the catalog file instead of a source that is not in git."""
    source = context.get("talkbook_source")

    def fix(button: dict[str, Any]) -> None:
        label = button.get("label", "")
        if label in BUTTON_LABELS:
            text, tooltip = BUTTON_LABELS[label]
            if button.get("text"):
                button["text"] = _(text)
            button["tooltip"] = _(tooltip)
        if source and label == "source-issues-button":
            button["url"] = source["issue"]
        if source and label == "source-edit-button":
            button["url"] = source["edit"]
        if source and label == "source-file-button":
            button["url"] = source["view"]
        for child in button.get("buttons", []) or []:
            fix(child)

    for button in context.get("header_buttons", []) or []:
        fix(button)


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Every image gets alt text. Notebook plots without one (myst-nb leaves it empty, and
    HTML would fall back to the file path) get "<section> — output figure"; an author's
    image without alt text is reported, so a strict build asks for one."""
    for image in doctree.findall(nodes.image):
        if image.get("alt"):
            continue
        parent, in_output, section = image.parent, False, None
        while parent is not None:
            classes = parent.get("classes", []) if isinstance(parent, nodes.Element) else []
            if "cell_output" in classes or "output" in classes:
                in_output = True
            if section is None and isinstance(parent, nodes.section):
                section = parent
            parent = parent.parent
        if in_output:
            title = (
                section[0].astext()
                if section is not None and section.children
                else doc_title(app.env, docname)
            )
            image["alt"] = _("{section} — output figure").format(section=title)
        else:
            logger.warning(
                "image without alt text: add one, e.g. ![what it shows](path)",
                location=image,
                type="talkbook",
                subtype="alt-text",
            )


# --------------------------------------------------------------------------- redirects


def redirects_file(app: Sphinx) -> Path:
    cfg = tb_config.read(app.config)
    name = cfg.redirects_file or f"{cfg.data_dir.strip('/')}/redirects.csv"
    return Path(app.confdir) / name


def read_redirects(path: Path) -> list[tuple[str, str, int]]:
    """(from, to, line) rows of the redirect file; '.html'/'.md' suffixes are dropped."""
    if not path.is_file():
        return []

    def clean(value: str) -> str:
        return re.sub(r"\.(html|md|ipynb)$", "", value.strip().strip("/"))

    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            src, dst = clean(row.get("from") or ""), clean(row.get("to") or "")
            if src or dst:
                rows.append((src, dst, line))
    return rows


# A redirect's source becomes "<source>.html" in the output folder: one relative path of
# plain segments (no "..", no wildcard, nothing hidden or Sphinx's own like _static/).
SAFE_SOURCE = re.compile(r"[^\W_][\w.-]*(?:/[^\W_][\w.-]*)*")
RESERVED = {"genindex", "search", "py-modindex", "404", "objects"}


def unsafe_source(src: str) -> str | None:
    """Why a redirect source cannot be written, or None."""
    if not SAFE_SOURCE.fullmatch(src) or ".." in src.split("/"):
        return (
            f"'{src}' is not a page path inside the book (use letters, digits, '-', '.' and '/'; "
            "no '..', wildcards or folders starting with '_' or '.')"
        )
    if src in RESERVED:
        return f"'{src}' is a page Sphinx writes itself (choose another name)"
    return None


def on_collect_pages(app: Sphinx) -> list[Any]:
    """Turn data/redirects.csv into sphinx-reredirects' mapping (before it runs), checked."""
    if app.builder.format != "html":
        return []
    path = redirects_file(app)
    rows = read_redirects(path)
    if not rows:
        return []
    live = set(app.env.found_docs)
    shown = path.relative_to(app.confdir) if path.is_relative_to(app.confdir) else path
    mapping = dict(app.config.redirects or {})

    def refuse(line: int, problem: str) -> None:
        logger.warning(f"{shown}:{line}: {problem}", type="talkbook", subtype="redirect")

    valid = []
    for src, dst, line in rows:
        if not src or not dst:
            refuse(line, "a redirect needs both 'from' and 'to'")
        elif problem := unsafe_source(src):
            refuse(line, problem)
        elif src in live:
            refuse(line, f"'{src}' is a live page; a redirect would replace it (remove the row)")
        else:
            valid.append((src, dst, line))
    table = {src: dst for src, dst, _ in valid}  # refused rows take no part in chains
    for src, dst, line in valid:
        final, seen = dst, {src}
        while final in table and final not in seen:  # follow renames of renames
            seen.add(final)
            final = table[final]
        if final not in live:
            refuse(line, f"redirect target '{dst}' is not a page of the book")
            continue
        b = app.builder
        mapping[src] = relative_uri(b.get_target_uri(src), b.get_target_uri(final))
    app.config.redirects = mapping
    return []


# --------------------------------------------------------------------------- 404


class _LinkProbe(list):  # type: ignore[type-arg]
    """Takes what sphinx-sitemap's add_html_link would queue for one page."""

    put = list.append


def complete_sitemap(app: Sphinx, exception: Exception | None) -> None:
    """Add the documents this build did not write to the sitemap (before sphinx-sitemap
    writes it, priority 400 < 500).

    sphinx-sitemap lists the pages it sees at ``html-page-context``: an incremental build
    that writes one page would write a sitemap of that page. When nothing is written, it
    keeps the previous sitemap, and so do we. This uses sphinx-sitemap's queue and
    ``add_html_link``; tests/kit/test_upstream_guards.py fails when that code changes.
    """
    if exception is not None or app.builder.format != "html":
        return
    sitemap = app.extensions.get("sphinx_sitemap")
    links = getattr(app, "sitemap_links", None)
    if sitemap is None or links is None:
        return
    written = []
    while True:
        try:
            written.append(links.get_nowait())
        except queue.Empty:
            break
    if not written:
        return
    have = {link for link, _ in written}
    probe = _LinkProbe()
    app.sitemap_links = probe  # type: ignore[attr-defined]
    try:
        for pagename in sorted(app.env.all_docs):
            sitemap.module.add_html_link(app, pagename, "page.html", {}, None)
    finally:
        app.sitemap_links = links  # type: ignore[attr-defined]
    # sphinx-sitemap's queue is a multiprocessing proxy (one round trip per page, ~0.1 ms):
    # create_sitemap reads an in-process queue with the same items instead
    local: queue.Queue[tuple[str, Any]] = queue.Queue()
    for item in written:
        local.put(item)
    for link, lastmod in probe:
        if link not in have:
            local.put((link, lastmod))
    app.sitemap_links = local  # type: ignore[attr-defined]
    app._talkbook_sitemap_proxy = links  # type: ignore[attr-defined]  # its manager: see tests


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Make every relative link of 404.html absolute under the site's path, so the page
    works at any depth (GitHub Pages serves it for every missing URL)."""
    if exception is not None or app.builder.format != "html":
        return
    page = Path(app.outdir) / f"{app.config.notfound_pagename}{app.builder.out_suffix}"
    if not page.is_file():
        return
    prefix = app.config.notfound_urls_prefix or "/"
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    cfg = tb_config.read(app.config)
    text = page.read_text(encoding="utf-8")
    text = text.replace("__HOME__", prefix + app.builder.get_target_uri(app.config.root_doc))
    if cfg.catalog_page:
        text = text.replace("__CATALOG__", prefix + app.builder.get_target_uri(cfg.catalog_page))

    def absolute(m: re.Match[str]) -> str:
        attr, quote_char, url = m.group(1), m.group(2), m.group(3)
        if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", url, re.I) or not url:
            return m.group(0)
        while url.startswith("./"):
            url = url[2:]
        return f"{attr}={quote_char}{prefix}{url}{quote_char}"

    text = re.sub(r'\b(href|src)=(["\'])([^"\']*)\2', absolute, text)
    page.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- setup


SOCIAL_CARDS = "sphinxext.opengraph._social_cards"


def social_cards_requested(app: Sphinx) -> bool:
    """Whether the book turns on sphinxext-opengraph's social cards (our default: off)."""
    cards = app.config._raw_config.get("ogp_social_cards")  # before config-inited
    return isinstance(cards, dict) and cards.get("enable", True) is not False


class _DeferredSocialCards(types.ModuleType):
    """Stands in for ``sphinxext.opengraph._social_cards`` while opengraph is imported.

    opengraph imports its social-card module at import time, and with it matplotlib
    (~1 s of every build, a no-change one too), although cards are off by default here.
    The stand-in offers the two names opengraph takes from it: ``DEFAULT_SOCIAL_CONFIG``,
    read from the real module's source without running it, and ``create_social_card``,
    which imports the real module the first time a card is drawn.
    """

    def __init__(self, defaults: dict[str, Any]) -> None:
        super().__init__(SOCIAL_CARDS)
        self.DEFAULT_SOCIAL_CONFIG = defaults

    @staticmethod
    def create_social_card(*args: Any, **kwargs: Any) -> Any:
        real = importlib.import_module(SOCIAL_CARDS)
        return real.create_social_card(*args, **kwargs)


def _social_card_defaults() -> dict[str, Any] | None:
    """``DEFAULT_SOCIAL_CONFIG`` of the installed opengraph, from its source (no import)."""
    # the package's spec, not the module's: finding a submodule imports its package
    spec = importlib.util.find_spec("sphinxext.opengraph")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(list(spec.submodule_search_locations)[0]) / "_social_cards.py"
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
                "DEFAULT_SOCIAL_CONFIG"
            ]:
                value = ast.literal_eval(node.value)
                return value if isinstance(value, dict) else None
    except (OSError, SyntaxError, ValueError):
        return None
    return None


def setup_opengraph(app: Sphinx) -> None:
    """Load sphinxext-opengraph without matplotlib unless the book wants social cards."""
    defaults = None
    if "sphinxext.opengraph" not in sys.modules and not social_cards_requested(app):
        defaults = _social_card_defaults()
    if defaults is None:  # cards on, already imported, or an opengraph we cannot read
        app.setup_extension("sphinxext.opengraph")
        return
    sys.modules[SOCIAL_CARDS] = _DeferredSocialCards(defaults)
    try:
        app.setup_extension("sphinxext.opengraph")
    finally:
        # opengraph keeps its two names; anyone else importing the module gets the real one
        if isinstance(sys.modules.get(SOCIAL_CARDS), _DeferredSocialCards):
            del sys.modules[SOCIAL_CARDS]


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("talkbook.config")
    app.setup_extension("talkbook.i18n")
    for ext in EXTENSIONS:
        if ext == "sphinxext.opengraph":
            setup_opengraph(app)
        else:
            app.setup_extension(ext)
    app.connect("config-inited", on_config_inited, priority=300)
    app.connect("env-updated", on_env_updated)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("html-page-context", on_page_context_early, priority=400)
    app.connect("html-page-context", on_page_context_late, priority=600)
    app.connect("html-collect-pages", on_collect_pages, priority=400)
    app.connect("build-finished", on_build_finished)
    app.connect("build-finished", complete_sitemap, priority=400)
    app.add_js_file("talkbook-reading.js", defer="defer")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
