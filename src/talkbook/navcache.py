"""``talkbook.navcache``: render the sidebar navigation once per build, not once per page.

The book theme (sphinx-book-theme on pydata-sphinx-theme) draws the whole book's navigation
into every page: for each page it resolves the full toctree (``global_toctree_for_doc``
deep-copies every entry), renders it with docutils, parses the HTML with BeautifulSoup and
adds collapse widgets. Each step costs O(N) for N pages, so a build costs O(N²): for 500
pages that is most of the build.

With ``collapse_navbar`` off (the book theme's default) the navigation has the same
structure on every page; only a few things depend on the page:

* the ``current`` class on the entries leading to the page (``li`` gets ``current active``,
  the ``ul`` holding it ``current``, the page's own link ``current`` and ``href="#"``),
  and ``<details open="open">`` on those entries that have children;
* relative links, which depend only on the page's folder.

So this extension asks the theme for the navigation once (for a page at the root that is in
no toctree, so nothing is current), marks the page-dependent spots, and per page copies the
pre-rendered pieces for the page's folder and fills the few spots on the current branch.
The HTML is the theme's own, byte for byte (``talkbook_navcache_check = True`` renders both
and warns on any difference; the tests use it). The marked-up navigation is also kept in the
doctree folder with a signature of what it is made of (toc structure, titles, toctree
options, settings, versions), so an incremental build that changes none of these does not
render it at all. sphinx-notfound-page's 404 page (absolute links under
``notfound_urls_prefix``) is served from the same pieces.

It wraps pydata-sphinx-theme's ``html-page-context`` listener that defines
``generate_toctree_html``; any other call (another ``kind``, ``startdepth``, collapsed or
``show_nav_level = 0`` navigation, a builder other than ``html``, pages with a ``tocdepth``)
or a page whose ``toctree`` helper another extension replaced goes to the theme's own
function.

Config: ``talkbook_navcache`` (default ``True``), ``talkbook_navcache_check`` (default
``False``).
"""

from __future__ import annotations

import hashlib
import html
import json
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from . import __version__
from .files import write_atomic

logger = logging.getLogger(__name__)

#: A docname that is in no toctree: the navigation rendered "for" it has nothing current.
PSEUDO_DOC = "__talkbook_navcache__"
#: The skeletons of the last build, in the doctree folder (reused while the toc is the same).
STORE = "talkbook-navcache.pickle"
#: Marker delimiter (a private-use character that no title or URL contains).
M = "\ue000"
TOKEN_RE = re.compile(
    rf"( ?{M}L\d+{M}"  # li class: " current active"
    rf"| class=\"{M}UA\d+{M}\""  # ul without classes: ' class="current"'
    rf"|{M}UC\d+{M} "  # ul with classes: "current "
    rf"|{M}AC\d+{M} "  # a class: "current "
    rf"|{M}AH\d+{M}"  # a href: relative link, or "#" on the page itself
    rf"| data-tbnav=\"{M}D\d+{M}\")"  # details: ' open="open"'
)
PARSE_RE = re.compile(rf"{M}(L|UA|UC|AC|AH|D)(\d+){M}")
CURRENT = {
    "L": " current active",
    "UA": ' class="current"',
    "UC": "current ",
    "AC": "current ",
    "AH": "#",
    "D": ' open="open"',
}


@dataclass
class Skeleton:
    """The navigation HTML cut into literal pieces and page-dependent slots."""

    pieces: list[str]  # literal text at even positions, slot placeholders at odd ones
    slots: dict[tuple[str, int], int]  # (kind, number) -> index in pieces
    hrefs: dict[int, str]  # AH slot number -> link target relative to the root
    li_parent: dict[int, int | None]  # li -> enclosing li
    li_ul: dict[int, int]  # li -> the ul that holds it
    li_details: set[int]  # li that have a <details> slot
    doc_lis: dict[str, list[int]]  # docname -> li whose own link is that page
    by_base: dict[str, list[str]] = field(default_factory=dict)

    def neutral(self, base: str) -> list[str]:
        """Pieces with every slot filled for a page that is not in the navigation.

        *base* is the page's folder (``book/notes``; links relative to it, as Sphinx makes
        them) or, starting with ``/``, a URL prefix for absolute links (the 404 page).
        """
        cached = self.by_base.get(base)
        if cached is None:
            if base.startswith("/"):
                link = lambda target: base + target  # noqa: E731
            else:
                page = f"{base}/{M}.html" if base else f"{M}.html"
                link = lambda target: relative_uri(page, target)  # noqa: E731
            cached = list(self.pieces)
            for (kind, num), pos in self.slots.items():
                cached[pos] = (
                    html.escape(link(self.hrefs[num]), quote=False) if kind == "AH" else ""
                )
            self.by_base[base] = cached
        return cached

    def render(self, pagename: str, target_uri: str, prefix: str | None = None) -> str:
        if prefix is not None:
            pieces = self.neutral(prefix)
        else:
            pieces = self.neutral(target_uri.rsplit("/", 1)[0] if "/" in target_uri else "")
        own = self.doc_lis.get(pagename)
        if not own:
            return "".join(pieces)
        pieces = list(pieces)
        on_path: set[int] = set()
        for li in own:
            node: int | None = li
            while node is not None and node not in on_path:
                on_path.add(node)
                node = self.li_parent[node]
        fill = [("L", li) for li in on_path] + [
            ("D", li) for li in on_path if li in self.li_details
        ]
        fill += [("UA", self.li_ul[li]) for li in on_path] + [
            ("UC", self.li_ul[li]) for li in on_path
        ]
        fill += [("AC", li) for li in own] + [("AH", li) for li in own]
        for key in fill:
            pos = self.slots.get(key)
            if pos is not None:
                pieces[pos] = CURRENT[key[0]]
        return "".join(pieces)


def build_skeleton(
    app: Sphinx, original: Any, show_nav_level: int, kwargs: dict[str, Any]
) -> Skeleton:
    """Ask the theme for the navigation of a root-level page that is in no toctree."""
    builder = app.builder
    ctx: dict[str, Any] = {
        "toctree": lambda **kw: builder._get_local_toctree(PSEUDO_DOC, **kw),
        "pathto": lambda *a, **kw: "",
        "theme_external_links": [],
    }
    original(app, PSEUDO_DOC, "page.html", ctx, None)
    soup = ctx["generate_toctree_html"]("sidebar", 0, show_nav_level, **kwargs)

    uri_doc = {builder.get_target_uri(d): d for d in app.env.all_docs}
    li_num: dict[int, int] = {}  # id(tag) -> number
    ul_num: dict[int, int] = {}
    hrefs: dict[int, str] = {}
    li_parent: dict[int, int | None] = {}
    li_ul: dict[int, int] = {}
    li_details: set[int] = set()
    doc_lis: dict[str, list[int]] = {}
    for ul in soup.find_all("ul"):
        k = ul_num[id(ul)] = len(ul_num)
        classes = ul.get("class") or []
        ul["class"] = [f"{M}UC{k}{M}", *classes] if classes else [f"{M}UA{k}{M}"]
    for li in soup.find_all("li"):
        k = li_num[id(li)] = len(li_num)
        parent = li.find_parent("li")
        li_parent[k] = li_num.get(id(parent)) if parent is not None else None
        holder = li.find_parent("ul")
        if holder is not None:
            li_ul[k] = ul_num[id(holder)]
        classes = list(li.get("class") or [])
        at = next((i + 1 for i, c in enumerate(classes) if c.startswith("toctree-l")), 0)
        li["class"] = [*classes[:at], f"{M}L{k}{M}", *classes[at:]]
        details = li.find("details", recursive=False)
        if details is not None and not details.has_attr("open"):
            details["data-tbnav"] = f"{M}D{k}{M}"
            li_details.add(k)
        link = li.find("a", recursive=False)
        if link is None or "://" in link.get("href", "") or "#" in link.get("href", ""):
            continue
        doc = uri_doc.get(link["href"])
        if doc is None:
            continue
        doc_lis.setdefault(doc, []).append(k)
        link["class"] = [f"{M}AC{k}{M}", *(link.get("class") or [])]
        hrefs[k] = link["href"]
        link["href"] = f"{M}AH{k}{M}"
    text = str(soup)
    pieces = TOKEN_RE.split(text)
    slots = {}
    for pos in range(1, len(pieces), 2):
        m = PARSE_RE.search(pieces[pos])
        slots[(m[1], int(m[2]))] = pos
    return Skeleton(pieces, slots, hrefs, li_parent, li_ul, li_details, doc_lis)


def _is_sphinx_toctree(fn: Any) -> bool:
    """True for the builder's own ``toctree`` helper (not one replaced by another extension)."""
    import sphinx.builders.html as sphinx_html

    return getattr(getattr(fn, "__code__", None), "co_filename", None) == sphinx_html.__file__


def _notfound_prefix(app: Sphinx, pagename: str, fn: Any) -> str | None:
    """The URL prefix when *fn* is sphinx-notfound-page's ``toctree`` on its 404 page.

    That helper renders the navigation of the (root-level) 404 page and prefixes every
    link with ``notfound_urls_prefix``, so the page works at any URL: the neutral
    navigation with absolute links.
    """
    if getattr(fn, "__module__", "") != "notfound.extension" or "/" in pagename:
        return None
    if pagename != getattr(app.config, "notfound_pagename", None):
        return None
    prefix = app.config.notfound_urls_prefix or "/"
    return prefix if prefix.startswith("/") else None


def navigation_signature(app: Sphinx) -> str:
    """What the navigation is made of: toc structure and titles, the toctree nodes'
    options, the settings, and the versions of Sphinx, the themes and this module.
    (Also part of what talkbook.pages compares before rewriting a generated page.)"""
    import pydata_sphinx_theme
    import sphinx
    import sphinx_book_theme
    from sphinx import addnodes

    env = app.env
    toctrees = []
    for doc in sorted({app.config.root_doc, *env.toctree_includes}):
        if doc in env.tocs:
            for node in env.tocs[doc].findall(addnodes.toctree):
                attrs = {k: v for k, v in node.attributes.items() if k not in ("source", "line")}
                toctrees.append((doc, repr(sorted(attrs.items()))))
    info = getattr(app.builder, "build_info", None)
    data = {
        "includes": sorted((d, list(v)) for d, v in env.toctree_includes.items()),
        "titles": sorted((d, str(t)) for d, t in env.titles.items()),
        "toctrees": toctrees,
        "config": [getattr(info, "config_hash", ""), app.config.root_doc, app.builder.name],
        "versions": [
            sphinx.__version__,
            pydata_sphinx_theme.__version__,
            sphinx_book_theme.__version__,
            hashlib.sha1(Path(__file__).read_bytes()).hexdigest(),
        ],
    }
    return hashlib.sha1(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def signature(app: Sphinx, key: tuple) -> str:
    """The navigation signature of one way of calling the theme (*key*)."""
    return hashlib.sha1(f"{navigation_signature(app)}\n{key!r}".encode()).hexdigest()


def skeleton_for(app: Sphinx, original: Any, state: dict, key: tuple) -> Skeleton:
    """This build's skeleton for *key*: from this process, from the last build (same
    signature, read from the doctree folder), or rendered now and kept for the next one."""
    skeleton = state.get(key)
    if skeleton is not None:
        return skeleton
    sig = signature(app, key)
    path = Path(app.doctreedir) / STORE
    stored: dict[str, Skeleton] = {}
    try:
        with path.open("rb") as fh:
            stored = pickle.load(fh)
        skeleton = stored.get(sig)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        stored = {}
    if skeleton is None:
        show_nav_level, kwargs = key[0], dict(key[1])
        skeleton = build_skeleton(app, original, show_nav_level, kwargs)
        keep = {sig: skeleton}
        keep.update({s: k for s, k in stored.items() if s != sig and len(keep) < 4})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, pickle.dumps(keep, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass  # only a cache: the next build renders the navigation again
    state[key] = skeleton
    return skeleton


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def wrap(original: Any) -> Any:
    """A drop-in for pydata-sphinx-theme's ``add_toctree_functions``."""

    def add_toctree_functions(
        app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
    ) -> None:
        original(app, pagename, templatename, context, doctree)
        theirs = context.get("generate_toctree_html")
        if theirs is None or not app.config.talkbook_navcache or app.builder.name != "html":
            return
        state = app.__dict__.setdefault("_talkbook_navcache", {})
        if "usable" not in state:
            state["usable"] = not any("tocdepth" in m for m in app.env.metadata.values())
        if not state["usable"]:
            return
        per_page: dict[tuple, Any] = {}

        def generate_toctree_html(
            kind: str, startdepth: int = 1, show_nav_level: int = 1, **kwargs: Any
        ) -> Any:
            helper = context.get("toctree")
            prefix = None if _is_sphinx_toctree(helper) else _notfound_prefix(app, pagename, helper)
            if (
                kind != "sidebar"
                or int(startdepth) != 0
                or int(show_nav_level) < 1
                or _truthy(kwargs.get("collapse", True))
                or (prefix is None and not _is_sphinx_toctree(helper))
            ):
                return theirs(kind, startdepth, show_nav_level, **kwargs)
            key = (int(show_nav_level), tuple(sorted(kwargs.items())))
            try:
                if key in per_page:
                    return per_page[key]
            except TypeError:  # an unhashable argument: not a call this cache knows
                return theirs(kind, startdepth, show_nav_level, **kwargs)
            skeleton = skeleton_for(app, original, state, key)
            out = Markup(skeleton.render(pagename, app.builder.get_target_uri(pagename), prefix))
            state["pages"] = state.get("pages", 0) + 1
            if app.config.talkbook_navcache_check:
                expected = str(theirs(kind, startdepth, show_nav_level, **kwargs))
                if expected != out:
                    at = next(
                        (i for i, (a, b) in enumerate(zip(expected, out, strict=False)) if a != b),
                        min(len(expected), len(out)),
                    )
                    logger.warning(
                        f"navcache: the cached navigation differs from the theme's at character {at}: "
                        f"theme {expected[max(0, at - 80) : at + 80]!r} vs cached {out[max(0, at - 80) : at + 80]!r}",
                        location=pagename,
                        type="talkbook",
                        subtype="navcache",
                    )
            per_page[key] = out
            return out

        context["generate_toctree_html"] = generate_toctree_html

    add_toctree_functions.__wrapped__ = original  # type: ignore[attr-defined]
    return add_toctree_functions


def on_builder_inited(app: Sphinx) -> None:
    """Swap the theme's listener for the caching one (same id and priority, same order)."""
    app.__dict__.pop("_talkbook_navcache", None)
    try:
        from pydata_sphinx_theme import toctree as pst_toctree
    except ImportError:  # another theme: nothing to speed up
        return
    listeners = app.events.listeners.get("html-page-context", [])
    for i, listener in enumerate(listeners):
        if listener.handler is pst_toctree.add_toctree_functions:
            listeners[i] = listener._replace(handler=wrap(listener.handler))


def on_env_get_updated(app: Sphinx, env: Any) -> list[str]:
    """Every page shows the whole navigation: when a page was added, moved, removed or
    retitled, write every page again (not read: their doctrees are unchanged). Stock Sphinx
    rewrites only the pages it read, so after an incremental build the other pages' sidebars
    (and prev/next links) would miss the new page or show the old title."""
    if app.builder.format != "html" or not app.config.talkbook_navcache:
        return []
    sig = navigation_signature(app)
    old = getattr(env, "talkbook_nav_signature", None)
    env.talkbook_nav_signature = sig  # pickled with the environment
    if old is None or old == sig:
        return []  # a fresh environment writes everything anyway
    return sorted(env.all_docs)


def on_env_updated(app: Sphinx, env: Any) -> None:
    """Titles or the toc may have changed: the navigation is rendered again for this build."""
    app.__dict__.pop("_talkbook_navcache", None)


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    state = app.__dict__.get("_talkbook_navcache") or {}
    if state.get("pages"):
        skeletons = sum(1 for k in state if isinstance(k, tuple))
        logger.info(
            f"talkbook.navcache: sidebar navigation rendered {skeletons}x, reused for {state['pages']} pages"
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("talkbook_navcache", True, "html", [bool])
    app.add_config_value("talkbook_navcache_check", False, "", [bool])
    app.connect("builder-inited", on_builder_inited)
    app.connect("env-get-updated", on_env_get_updated)
    app.connect("env-updated", on_env_updated)
    app.connect("build-finished", on_build_finished)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
