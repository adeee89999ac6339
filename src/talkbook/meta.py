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
import gettext
import html
import importlib
import importlib.util
import queue
import re
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
from sphinx.locale import translators
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from . import __version__
from . import config as tb_config

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "meta_templates"
EXTENSIONS = (
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "notfound.extension",
    "sphinx_reredirects",
    "sphinx_last_updated_by_git",
)
NOTE_KINDS = {"review", "memo", "essay"}
OG_LOCALES = {"ko": "ko_KR", "en": "en_US", "ja": "ja_JP"}

# Korean labels for the book theme's repository buttons (its catalogue lacks them)
BUTTON_LABELS = {
    "source-repository-button": ("저장소", "GitHub 저장소"),
    "source-file-button": ("원본 보기", "이 페이지의 원본 파일 보기"),
    "source-edit-button": ("이 페이지 고치기", "GitHub에서 이 페이지 고치기"),
    "source-issues-button": ("이슈 열기", "이 페이지에 대해 이슈 열기"),
    "source-buttons": ("", "저장소와 원본"),
}

# Korean for theme strings the themes' own Korean catalogues lack (used only when missing)
KOREAN_FALLBACK = {
    "Skip to main content": "본문으로 건너뛰기",
    "Back to top": "맨 위로",
    "Site navigation": "사이트 메뉴",
    "Main": "목차",
    "Color mode": "색상 모드",
    "Light": "밝게",
    "Dark": "어둡게",
    "System Settings": "시스템 설정",
    "previous page": "이전 페이지",
    "next page": "다음 페이지",
    "On this page": "이 페이지의 내용",
    "Page": "페이지",
    "Version warning": "버전 경고",
    "Breadcrumb": "현재 위치",
    "Home": "홈",
    "Link to this heading": "이 제목으로 바로 가는 링크",
    "Toggle primary sidebar": "목차 열고 닫기",
    "Toggle secondary sidebar": "이 페이지의 내용 열고 닫기",
    "Launch interactive content": "실행 환경에서 열기",
    "Launch on": "실행:",
    "Binder logo": "Binder 로고",
    "Colab logo": "Colab 로고",
    "Source repository": "GitHub 저장소",
    "Repository": "저장소",
    "Source repositories": "저장소와 원본",
    "Suggest edit": "이 페이지 고치기",
    "Open issue": "이슈 열기",
    "Open an issue": "이 페이지에 대해 이슈 열기",
    "Show source": "원본 보기",
    "Fullscreen mode": "전체 화면",
    "Download this page": "이 페이지 내려받기",
    "Download source file": "원본 파일 내려받기",
    "Print to PDF": "PDF로 인쇄",
}


class _Fallback(gettext.NullTranslations):
    def __init__(self, table: dict[str, str]) -> None:
        super().__init__()
        self.table = table

    def gettext(self, message: str) -> str:
        return self.table.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def add_korean_fallback(app: Sphinx) -> None:
    """Chain our table behind the Sphinx and book-theme catalogues (builder-inited)."""
    if (app.config.language or "").split("_")[0] != "ko":
        return
    for key in [k for k in translators if k[1] in ("sphinx", "booktheme")]:
        translator = translators[key]
        if getattr(translator, "_talkbook_ko", False):
            continue
        if type(translator) is gettext.NullTranslations:
            translators[key] = translator = _Fallback(KOREAN_FALLBACK)
        else:
            translator.add_fallback(_Fallback(KOREAN_FALLBACK))
        translator._talkbook_ko = True  # type: ignore[attr-defined]


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
    set_default(
        config,
        "notfound_context",
        {
            "title": "페이지를 찾을 수 없습니다",
            "body": "<h1>페이지를 찾을 수 없습니다</h1>"
            "<p>주소가 바뀌었거나 잘못 입력된 것 같습니다. 위의 메뉴나 검색으로 찾아보세요.</p>"
            '<ul><li><a href="__HOME__">첫 페이지로</a></li>'
            '<li><a href="__CATALOG__">발표 카탈로그</a></li></ul>',
        },
    )
    # Last updated from git: Korean time, the note's own commits only (not the catalog CSVs
    # every note depends on); no .git, no git or a shallow clone must not fail a strict build
    set_default(config, "git_last_updated_timezone", "Asia/Seoul")
    set_default(config, "git_untracked_show_sourcelink", True)
    data_dir = tb_config.read(config).data_dir.strip("/")
    if not provided(config, "git_exclude_patterns"):
        config.git_exclude_patterns = [f"{data_dir}/**", f"{data_dir}/*"]
    if "git" not in config.suppress_warnings:
        config.suppress_warnings = [*config.suppress_warnings, "git"]
    # Redirect pages: our Korean template
    set_default(config, "redirect_html_template_file", str(TEMPLATES / "redirect.html"))
    # Theme: header navigation, breadcrumbs, page-source line in the article footer
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path = [str(TEMPLATES), *config.templates_path]
    opts = config.html_theme_options
    if opts.get("search_bar_text") in (
        None,
        "Search this book...",
    ):  # Jupyter Book's English default
        opts["search_bar_text"] = "이 책에서 검색…"
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
    """Reading order of the documents and the part caption each one sits under."""
    order: list[str] = []
    part: dict[str, str] = {}
    root = app.config.root_doc

    def walk(doc: str, caption: str) -> None:
        if doc in order or doc not in env.all_docs:
            return
        order.append(doc)
        if caption:
            part[doc] = caption
        for child in env.toctree_includes.get(doc, []):
            walk(child, caption)

    order.append(root)
    try:
        tree = env.get_doctree(root)
    except Exception:  # noqa: BLE001 - no root doctree (e.g. an empty test book)
        tree = None
    if tree is not None:
        for toctree in tree.findall(addnodes.toctree):
            for _title, ref in toctree["entries"]:
                if ref in env.all_docs:
                    walk(ref, toctree.get("caption") or "")
    return {"order": order, "part": part}


def on_env_updated(app: Sphinx, env: BuildEnvironment) -> None:
    app.talkbook_site = toc_structure(app, env)  # type: ignore[attr-defined]


def site(app: Sphinx) -> dict[str, Any]:
    if not hasattr(app, "talkbook_site"):
        app.talkbook_site = toc_structure(app, app.env)  # type: ignore[attr-defined]
    return app.talkbook_site  # type: ignore[attr-defined]


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


def generated_kind(app: Sphinx, pagename: str) -> tuple[str, str] | None:
    """('talk'|'conference'|'tag'|'tags', id) for a page written by talkbook.ext."""
    cfg = tb_config.read(app.config)
    folder, _, ident = pagename.partition("/")
    if not ident or "/" in ident:
        return None
    if folder == cfg.tags_path and ident == "index":
        return ("tags", "")
    kinds = {cfg.talks_path: "talk", cfg.conferences_path: "conference", cfg.tags_path: "tag"}
    return (kinds[folder], ident) if folder in kinds else None


# --------------------------------------------------------------------------- page context


def link(app: Sphinx, here: str, target: str, title: str) -> dict[str, str]:
    builder = app.builder
    return {
        "uri": relative_uri(builder.get_target_uri(here), builder.get_target_uri(target)),
        "title": title,
    }


def navigation(app: Sphinx, pagename: str) -> dict[str, Any]:
    """Header navigation: catalog, conferences, tags, topic threads, glossary."""
    env = app.env
    cfg = tb_config.read(app.config)
    cat = getattr(app, "talkbook_catalog", None)
    items: list[dict[str, Any]] = []
    if cfg.catalog_page in env.all_docs:
        items.append(
            {
                **link(app, pagename, cfg.catalog_page, "발표 카탈로그"),
                "current": pagename == cfg.catalog_page,
            }
        )
    if cat is not None:
        conferences = once(app, "conferences", lambda: cat.conferences.to_dict("records"))
        confs = [
            link(app, pagename, f"{cfg.conferences_path}/{c['id']}", c["name"]) for c in conferences
        ]
        here = [pagename == f"{cfg.conferences_path}/{c['id']}" for c in conferences]
        for c, cur in zip(confs, here, strict=True):
            c["current"] = cur
        items.append(
            {"title": "행사", "id": "conferences", "children": confs, "current": any(here)}
        )
        items.append(
            {
                **link(app, pagename, f"{cfg.tags_path}/index", "태그"),
                "current": pagename.startswith(cfg.tags_path + "/"),
            }
        )
    pages = env.get_domain("talk").data.get("pages", {})
    threads = once(
        app,
        "threads",
        lambda: [d for d in site(app)["order"] if pages.get(d, {}).get("kind") == "thread"],
    )
    if threads:
        children = [
            {**link(app, pagename, d, doc_title(env, d)), "current": d == pagename} for d in threads
        ]
        items.append(
            {"title": "주제", "id": "threads", "children": children, "current": pagename in threads}
        )
    gloss = once(app, "glossary", lambda: glossary_doc(env))
    if gloss:
        items.append(
            {**link(app, pagename, gloss, doc_title(env, gloss)), "current": pagename == gloss}
        )
    return {"items": items}


def breadcrumbs(app: Sphinx, pagename: str, context: dict[str, Any]) -> list[dict[str, str]]:
    """Home › part (or catalog/conference) › this page; the last crumb has no link."""
    env = app.env
    cfg = tb_config.read(app.config)
    root = app.config.root_doc
    if pagename == root:
        return []
    crumbs = [link(app, pagename, root, "홈")]
    gen = generated_kind(app, pagename)
    cat = getattr(app, "talkbook_catalog", None)
    if gen and cat is not None:
        kind, ident = gen
        if kind in ("talk", "conference"):
            crumbs.append(link(app, pagename, cfg.catalog_page, "발표 카탈로그"))
        if kind == "talk" and cat.has_talk(ident):
            conf = cat.conference(cat.talk(ident)["conference"])
            crumbs.append(link(app, pagename, f"{cfg.conferences_path}/{conf['id']}", conf["name"]))
        if kind == "tag":
            crumbs.append(link(app, pagename, f"{cfg.tags_path}/index", "태그"))
    elif pagename in env.all_docs:
        caption = site(app)["part"].get(pagename)
        if caption:
            crumbs.append({"uri": "", "title": caption})
    title = re.sub(r"<[^>]+>", "", str(context.get("title", "")))
    crumbs.append({"uri": "", "title": html.unescape(title), "current": "1"})
    return crumbs


def generated_neighbours(
    app: Sphinx, pagename: str
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """Previous/next talk (catalog order), conference or tag (label order)."""
    gen = generated_kind(app, pagename)
    cat = getattr(app, "talkbook_catalog", None)
    if not gen or cat is None or gen[0] == "tags":
        return None, None
    cfg = tb_config.read(app.config)
    kind, ident = gen
    if kind == "talk":
        seq = once(
            app,
            "talk-seq",
            lambda: [
                (f"{cfg.talks_path}/{t['id']}", t["title"]) for t in cat.talks.to_dict("records")
            ],
        )
    elif kind == "conference":
        seq = once(
            app,
            "conference-seq",
            lambda: [
                (f"{cfg.conferences_path}/{c['id']}", c["name"])
                for c in cat.conferences.to_dict("records")
            ],
        )
    else:
        seq = once(
            app,
            "tag-seq",
            lambda: [
                (f"{cfg.tags_path}/{t['id']}", f"태그: {t['label']}")
                for t in cat.tags.sort_values("label").to_dict("records")
            ],
        )
    names = once(app, f"{kind}-names", lambda: {n: i for i, (n, _) in enumerate(seq)})
    if pagename not in names:
        return None, None
    i = names[pagename]

    def ref(j: int) -> dict[str, str] | None:
        if 0 <= j < len(seq):
            return {
                "link": relative_uri(
                    app.builder.get_target_uri(pagename), app.builder.get_target_uri(seq[j][0])
                ),
                "title": html.escape(seq[j][1]),
            }
        return None

    return ref(i - 1), ref(i + 1)


SECTION_RE = re.compile(r'<section[^>]*\bid="([^"]+)"[^>]*>\s*<h2>(.*?)</h2>', re.S)


def generated_toc(context: dict[str, Any]) -> str:
    """An "on this page" list for generated pages, from their <section id><h2> blocks."""
    body = context.get("body", "")
    entries = SECTION_RE.findall(body)
    if not entries:
        return ""
    items = "".join(
        f'<li><a class="reference internal" href="#{html.escape(i)}">{t}</a></li>'
        for i, t in entries
    )
    title = html.escape(re.sub(r"<[^>]+>", "", str(context.get("title", ""))))
    return f'<ul><li><a class="reference internal" href="#">{title}</a><ul>{items}</ul></li></ul>'


def repository(app: Sphinx) -> dict[str, str] | None:
    opts = app.config.html_theme_options or {}
    url = str(opts.get("repository_url") or "").rstrip("/")
    if not url:
        return None
    branch = str(opts.get("repository_branch") or "main")
    prefix = str(opts.get("path_to_docs") or "").strip("/")
    return {"url": url, "branch": branch, "prefix": prefix + "/" if prefix else ""}


def source_links(app: Sphinx, pagename: str, context: dict[str, Any]) -> dict[str, str] | None:
    """View/edit/issue URLs for the file a page comes from (a note, or a catalog CSV)."""
    repo = repository(app)
    if repo is None:
        return None
    cfg = tb_config.read(app.config)
    gen = generated_kind(app, pagename)
    if pagename in app.env.all_docs:
        path = str(app.env.doc2path(pagename, base=False)).replace("\\", "/")
        what = "이 페이지의 원본"
    elif gen:
        table = {"talk": "talks", "conference": "conferences", "tag": "tags", "tags": "tags"}[
            gen[0]
        ]
        path = f"{cfg.data_dir.strip('/')}/{table}.csv"
        what = "이 페이지를 만드는 데이터"
    else:
        return None
    full = repo["prefix"] + path
    page_url = (
        urljoin(site_url(app.config), app.builder.get_target_uri(pagename))
        if site_url(app.config)
        else pagename
    )
    title = f"페이지 문제: {re.sub(r'<[^>]+>', '', str(context.get('title', pagename)))}"
    body = f"페이지: {page_url}\n원본: {full}\n\n무엇이 문제인지 적어 주세요."
    return {
        "path": full,
        "what": what,
        "view": f"{repo['url']}/blob/{repo['branch']}/{quote(full)}",
        "edit": f"{repo['url']}/edit/{repo['branch']}/{quote(full)}",
        "issue": f"{repo['url']}/issues/new?title={quote(title)}&body={quote(body)}",
    }


def meta_tag(prop: str, content: str, attr: str = "property") -> str:
    return f'<meta {attr}="{prop}" content="{html.escape(content, quote=True)}" />'


def description_of(app: Sphinx, pagename: str, context: dict[str, Any]) -> str:
    if pagename in app.env.all_docs:
        return str(
            app.env.get_domain("talk")
            .data.get("pages", {})
            .get(pagename, {})
            .get("description", "")
            or ""
        )
    return str(context.get("talkbook_description", "") or "")


def on_page_context_early(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """Runs before the theme and opengraph (priority 400): navigation, TOC, sharing tags."""
    if app.builder.format != "html":
        return
    context["talkbook_nav"] = navigation(app, pagename)
    context["talkbook_breadcrumbs"] = breadcrumbs(app, pagename, context)
    context["talkbook_source"] = source_links(app, pagename, context)
    gen = generated_kind(app, pagename)
    if doctree is None and gen:
        toc = generated_toc(context)
        if toc:
            context["toc"] = toc
            context["display_toc"] = True
        prev, nxt = generated_neighbours(app, pagename)
        if prev:
            context["prev"] = prev
        if nxt:
            context["next"] = nxt

    # sharing metadata
    tags: list[str] = []
    desc = description_of(app, pagename, context)
    base = site_url(app.config)
    lang = (app.config.language or "").split("_")[0]
    if desc:
        tags.append(meta_tag("description", desc, "name"))
        if doctree is not None:
            meta = context.get("meta") or {}
            meta = dict(meta)
            meta.setdefault("og:description", desc)
            context["meta"] = meta
    if doctree is not None:
        kind = app.env.get_domain("talk").data.get("pages", {}).get(pagename, {}).get("kind", "")
        if kind in NOTE_KINDS:
            meta = dict(context.get("meta") or {})
            meta.setdefault("og:type", "article")
            context["meta"] = meta
    elif pagename != app.config.notfound_pagename:
        # generated pages have no doctree, so opengraph skips them: write the same tags
        title = html.unescape(re.sub(r"<[^>]+>", "", str(context.get("title", ""))))
        tags.append(meta_tag("og:title", title))
        tags.append(meta_tag("og:type", "website"))
        if base:
            tags.append(meta_tag("og:url", urljoin(base, app.builder.get_target_uri(pagename))))
        if app.config.ogp_site_name:
            tags.append(meta_tag("og:site_name", str(app.config.ogp_site_name)))
        if desc:
            tags.append(meta_tag("og:description", desc))
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
    """Runs after the book theme made its header buttons (501): Korean labels, Korean issue text."""
    source = context.get("talkbook_source")

    def fix(button: dict[str, Any]) -> None:
        label = button.get("label", "")
        if label in BUTTON_LABELS:
            text, tooltip = BUTTON_LABELS[label]
            if button.get("text"):
                button["text"] = text
            button["tooltip"] = tooltip
        if label == "source-issues-button" and source:
            button["url"] = source["issue"]
        for child in button.get("buttons", []) or []:
            fix(child)

    for button in context.get("header_buttons", []) or []:
        fix(button)


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Every image gets alt text. Notebook plots without one (myst-nb leaves it empty, and
    HTML would fall back to the file path) get "<section> — 실행 결과 그림"; an author's
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
            image["alt"] = f"{title} — 실행 결과 그림"
        else:
            logger.warning(
                "image without alt text: add one, e.g. ![무엇을 보여 주는지](path)",
                location=image,
                type="talkbook",
                subtype="alt-text",
            )


# --------------------------------------------------------------------------- redirects


def redirects_file(app: Sphinx) -> Path:
    name = (
        app.config.talkbook_redirects_file
        or f"{tb_config.read(app.config).data_dir.strip('/')}/redirects.csv"
    )
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


def generated_pages(app: Sphinx) -> set[str]:
    cat = getattr(app, "talkbook_catalog", None)
    if cat is None:
        return set()
    cfg = tb_config.read(app.config)
    return (
        {f"{cfg.talks_path}/{t}" for t in cat.talk_ids}
        | {f"{cfg.conferences_path}/{c}" for c in cat.conferences["id"]}
        | {f"{cfg.tags_path}/{t}" for t in cat.tags["id"]}
        | {f"{cfg.tags_path}/index"}
    )


def on_collect_pages(app: Sphinx) -> list[Any]:
    """Turn data/redirects.csv into sphinx-reredirects' mapping (before it runs), checked."""
    if app.builder.format != "html":
        return []
    path = redirects_file(app)
    rows = read_redirects(path)
    if not rows:
        return []
    live = set(app.env.found_docs) | generated_pages(app)
    table = {src: dst for src, dst, _ in rows}
    shown = path.relative_to(app.confdir) if path.is_relative_to(app.confdir) else path
    mapping = dict(app.config.redirects or {})
    for src, dst, line in rows:
        where = f"{shown}:{line}"
        if not src or not dst:
            logger.warning(
                f"{where}: a redirect needs both 'from' and 'to'",
                type="talkbook",
                subtype="redirect",
            )
            continue
        final, seen = dst, {src}
        while final in table and final not in seen:  # follow renames of renames
            seen.add(final)
            final = table[final]
        if src in live:
            logger.warning(
                f"{where}: '{src}' is a live page; a redirect would replace it (remove the row)",
                type="talkbook",
                subtype="redirect",
            )
            continue
        if final not in live:
            logger.warning(
                f"{where}: redirect target '{dst}' is not a page of the book",
                type="talkbook",
                subtype="redirect",
            )
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
    """Add the documents and generated pages this build did not write to the sitemap
    (before sphinx-sitemap writes it, priority 400 < 500).

    sphinx-sitemap lists the pages it sees at ``html-page-context``: an incremental build
    that writes one page would write a sitemap of that page (generated talk, conference and
    tag pages are skipped too when unchanged, see ``talkbook.pages.collect_pages``). When
    nothing is written, it keeps the previous sitemap, and so do we.
    """
    from .pages import generated_pagenames

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
    for item in written:
        links.put(item)
    if not written:
        return
    have = {link for link, _ in written}
    probe = _LinkProbe()
    app.sitemap_links = probe  # type: ignore[attr-defined]
    try:
        for pagename in sorted(app.env.all_docs) + generated_pagenames(app):
            sitemap.module.add_html_link(app, pagename, "page.html", {}, None)
    finally:
        app.sitemap_links = links  # type: ignore[attr-defined]
    for link, lastmod in probe:
        if link not in have:
            links.put((link, lastmod))


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
    app.setup_extension("talkbook.ext")  # its talkbook_* settings, catalog and static folder
    for ext in EXTENSIONS:
        if ext == "sphinxext.opengraph":
            setup_opengraph(app)
        else:
            app.setup_extension(ext)
    app.add_config_value("talkbook_redirects_file", "", "env", types=[str])
    app.connect("config-inited", on_config_inited, priority=300)
    app.connect("env-updated", on_env_updated)
    app.connect("builder-inited", add_korean_fallback)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("html-page-context", on_page_context_early, priority=400)
    app.connect("html-page-context", on_page_context_late, priority=600)
    app.connect("html-collect-pages", on_collect_pages, priority=400)
    app.connect("build-finished", on_build_finished)
    app.connect("build-finished", complete_sitemap, priority=400)
    app.add_js_file("talkbook-reading.js", defer="defer")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
