"""``talkbook.navcache``: the sidebar navigation rendered once per build and shipped once.

The book theme (sphinx-book-theme on pydata-sphinx-theme) draws the whole book's navigation
into every page: for each page it resolves the full toctree, renders it, parses it with
BeautifulSoup and adds collapse widgets, O(N) work and O(N) bytes per page for N pages, so a
build costs O(N²) time and the site O(N²) bytes, and a page added to the toc changes every
page.

This extension asks the theme for the navigation once (for a root-level page that is in no
toctree, so nothing is current), marks the page-dependent spots (the ``current`` classes,
``<details open>`` on the current branch, relative links) and the structure (where each
entry and list starts and ends), and then:

* writes the whole tree once, to ``_static/talkbook-nav-tree.js`` (links relative to the
  root, nothing current): a small synchronous script that puts it in place of the page's own
  navigation while the page loads, marks the current page and opens its branch, exactly as
  the theme would (``talkbook_navcache_check = True`` compares that marking, done in Python
  here, with the theme's own HTML byte for byte and warns on any difference);
* gives each page only its branch: the entries leading to it (with the part's caption), its
  siblings and its children, the current page marked as the theme marks it, and a link to a
  contents page (``contents.html`` by default, written at ``html-collect-pages`` unless the
  project has a document of that name) listing the whole tree; so without JavaScript every
  page is still two clicks away, and a page's size does not grow with the book;
* on an incremental build, rewrites only the pages whose own branch, breadcrumbs or
  previous/next links changed (a fingerprint per page, kept in the environment), not every
  page.

The script file keeps a stable name: a content-hashed name would be written into every page
and so rewrite every page whenever the toc changes. The marked-up navigation is also kept in
the doctree folder with a signature of what it is made of (toc structure, titles, toctree
options, settings, versions), so an incremental build that changes none of these does not
render it at all. sphinx-notfound-page's 404 page (absolute links under
``notfound_urls_prefix``) is served the same way.

It wraps pydata-sphinx-theme's ``html-page-context`` listener that defines
``generate_toctree_html``; any other call (another ``kind``, ``startdepth``, collapsed or
``show_nav_level = 0`` navigation, a builder other than ``html``, pages with a ``tocdepth``)
or a page whose ``toctree`` helper another extension replaced goes to the theme's own
function, which draws the whole navigation in the page as before. With another theme (or
without pydata-sphinx-theme installed) the extension does nothing.

Config: ``talkbook_navcache`` (default ``True``), ``talkbook_navcache_check`` (default
``False``), ``talkbook_nav_shipped`` (default ``True``; ``False`` keeps the whole
navigation in every page, rendered once per build), ``talkbook_nav_contents`` (default
``"contents"``: the docname of the contents page).
"""

from __future__ import annotations

import hashlib
import html
import json
import pickle
import re
from collections.abc import Iterator
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
#: The whole navigation, one file for every page (in the output's ``_static``).
SCRIPT = "_static/talkbook-nav-tree.js"
SCRIPT_TEMPLATE = Path(__file__).parent / "meta_templates" / "talkbook-nav-tree.js"
#: Marker delimiters (private-use characters that no title or URL contains): page-dependent
#: slots, and the structure (entry and list boundaries) used to cut out one page's branch.
M = "\ue000"
S = "\ue001"
TOKEN_RE = re.compile(
    rf"( ?{M}L\d+{M}"  # li class: " current active"
    rf"| class=\"{M}UA\d+{M}\""  # ul without classes: ' class="current"'
    rf"|{M}UC\d+{M} "  # ul with classes: "current "
    rf"|{M}AC\d+{M} "  # a class: "current "
    rf"|{M}AH\d+{M}"  # a href: relative link, or "#" on the page itself
    rf"| data-tbnav=\"{M}D\d+{M}\")"  # details: ' open="open"'
)
PARSE_RE = re.compile(rf"{M}(L|UA|UC|AC|AH|D)(\d+){M}")
STRUCT_RE = re.compile(rf"{S}(LB|LH|LE|UB|UE)(\d+){S}")
CURRENT = {
    "L": " current active",
    "UA": ' class="current"',
    "UC": "current ",
    "AC": "current ",
    "AH": "#",
    "D": ' open="open"',
}


@dataclass
class Node:
    """A ``ul`` or ``li`` of the navigation: its text cut around its child nodes."""

    kind: str  # "U", "L" or "R" (the root: captions and top-level lists)
    num: int
    parts: list[Any] = field(default_factory=list)  # str and Node, in document order
    head_end: int = 0  # li: parts[:head_end] are the li start tag and its own link

    def children(self) -> Iterator[Node]:
        return (p for p in self.parts if isinstance(p, Node))


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
    tree: Node = field(default_factory=lambda: Node("R", 0))  # the structure, with slots
    by_base: dict[str, list[str]] = field(default_factory=dict)

    def neutral(self, base: str) -> list[str]:
        """Pieces with every slot filled for a page that is not in the navigation.

        *base* is the page's folder (``book/notes``; links relative to it, as Sphinx makes
        them) or, starting with ``/``, a URL prefix for absolute links (the 404 page).
        """
        cached = self.by_base.get(base)
        if cached is None:
            link = _linker(base)
            cached = list(self.pieces)
            for (kind, num), pos in self.slots.items():
                cached[pos] = (
                    html.escape(link(self.hrefs[num]), quote=False) if kind == "AH" else ""
                )
            self.by_base[base] = cached
        return cached

    def current_slots(self, pagename: str) -> set[tuple[str, int]]:
        """The slots that are "current" on *pagename* (its entries and their ancestors)."""
        own = self.doc_lis.get(pagename) or []
        on_path: set[int] = set()
        for li in own:
            node: int | None = li
            while node is not None and node not in on_path:
                on_path.add(node)
                node = self.li_parent[node]
        fill = {("L", li) for li in on_path} | {("D", li) for li in on_path & self.li_details}
        fill |= {("UA", self.li_ul[li]) for li in on_path} | {
            ("UC", self.li_ul[li]) for li in on_path
        }
        fill |= {("AC", li) for li in own} | {("AH", li) for li in own}
        return fill

    def render(self, pagename: str, target_uri: str, prefix: str | None = None) -> str:
        """The whole navigation of one page, as the theme draws it."""
        pieces = self.neutral(prefix if prefix is not None else _folder(target_uri))
        if not self.doc_lis.get(pagename):
            return "".join(pieces)
        pieces = list(pieces)
        for key in self.current_slots(pagename):
            pos = self.slots.get(key)
            if pos is not None:
                pieces[pos] = CURRENT[key[0]]
        return "".join(pieces)

    def branch(self, pagename: str, target_uri: str, prefix: str | None = None) -> str:
        """One page's own part of the navigation: its ancestors (and their part's caption),
        its siblings and its children, marked as the theme marks them; "" for a page that
        is not in the navigation. Siblings and children are shown without their own
        children, so the size depends on the page's neighbourhood, not on the book."""
        own = self.doc_lis.get(pagename)
        if not own:
            return ""
        path: list[int] = []
        node: int | None = own[0]
        while node is not None:
            path.append(node)
            node = self.li_parent[node]
        path.reverse()  # top-level entry first
        keep = set(path)
        out: list[str] = []
        parts = self.tree.parts
        for i, part in enumerate(parts):
            if isinstance(part, Node) and any(li.num == path[0] for li in part.children()):
                if i and isinstance(parts[i - 1], str):
                    out.append(parts[i - 1].lstrip("\n"))  # the part's caption
                _emit_ul(part, out, keep, path[-1])
                break
        current = self.current_slots(pagename)
        link = _linker(prefix if prefix is not None else _folder(target_uri))

        def fill(m: re.Match[str]) -> str:
            kind, num = PARSE_RE.search(m[0]).groups()  # type: ignore[union-attr]
            if (kind, int(num)) in current:
                return CURRENT[kind]
            return html.escape(link(self.hrefs[int(num)]), quote=False) if kind == "AH" else ""

        return TOKEN_RE.sub(fill, "".join(out))

    def contents(self) -> str:
        """The whole tree for the contents page at the root: every list open."""
        pieces = list(self.neutral(""))
        for (kind, _num), pos in self.slots.items():
            if kind == "D":
                pieces[pos] = CURRENT["D"]
        return "".join(pieces)


def _emit_ul(ul: Node, out: list[str], keep: set[int], page: int) -> None:
    """Append *ul* with the entries of *page*'s branch: the entries on the path to *page*
    (open), and, in the list that holds *page*, its siblings (closed)."""
    holds_page = any(li.num == page for li in ul.children())
    for part in ul.parts:
        if isinstance(part, str):
            out.append(part)
        elif part.num in keep:
            _emit_li(part, out, keep, page)
        elif holds_page:
            _emit_leaf(part, out)


def _emit_li(li: Node, out: list[str], keep: set[int], page: int) -> None:
    for part in li.parts:
        if isinstance(part, str):
            out.append(part)
        elif li.num == page:  # the page's children, closed
            for child in part.parts:
                if isinstance(child, str):
                    out.append(child)
                else:
                    _emit_leaf(child, out)
        else:
            _emit_ul(part, out, keep, page)


def _emit_leaf(li: Node, out: list[str]) -> None:
    """An entry without its children: its start tag and own link."""
    head = "".join(p for p in li.parts[: li.head_end] if isinstance(p, str))
    out.append(head.replace(" has-children", "", 1) + "</li>")


def _folder(target_uri: str) -> str:
    return target_uri.rsplit("/", 1)[0] if "/" in target_uri else ""


def _linker(base: str) -> Any:
    """Link text for a root-relative target seen from folder *base* (or URL prefix ``/…``)."""
    if base.startswith("/"):
        return lambda target: base + target
    page = f"{base}/{M}.html" if base else f"{M}.html"
    return lambda target: relative_uri(page, target)


def _parse_tree(text: str) -> Node:
    """The structure of the marked-up navigation, from its structure markers."""
    root = Node("R", 0)
    stack = [root]
    tokens = STRUCT_RE.split(text)
    for i in range(0, len(tokens), 3):
        if tokens[i]:
            stack[-1].parts.append(tokens[i])
        if i + 1 >= len(tokens):
            break
        kind, num = tokens[i + 1], int(tokens[i + 2])
        if kind in ("LB", "UB"):
            node = Node(kind[0], num)
            stack[-1].parts.append(node)
            stack.append(node)
        elif kind == "LH":
            stack[-1].head_end = len(stack[-1].parts)
        else:
            stack.pop()
    return root


def name_toggles(soup: Any) -> Any:
    """Give each expand/collapse toggle (``<summary>``, an icon only in the theme's HTML) an
    accessible name, "<title>: show or hide its pages", for screen readers (axe summary-name)."""
    from .i18n import _

    for details in soup.find_all("details"):
        summary = details.find("summary", recursive=False)
        link = details.find_previous_sibling("a")
        if summary is not None and link is not None and not summary.has_attr("aria-label"):
            title = link.get_text(" ", strip=True)
            summary["aria-label"] = _("{title}: show or hide its pages").format(title=title)
    return soup


def build_skeleton(
    app: Sphinx, original: Any, show_nav_level: int, kwargs: dict[str, Any]
) -> Skeleton:
    """Ask the theme for the navigation of a root-level page that is in no toctree."""
    from bs4 import NavigableString

    builder = app.builder
    ctx: dict[str, Any] = {
        "toctree": lambda **kw: builder._get_local_toctree(PSEUDO_DOC, **kw),
        "pathto": lambda *a, **kw: "",
        "theme_external_links": [],
    }
    original(app, PSEUDO_DOC, "page.html", ctx, None)
    soup = ctx["generate_toctree_html"]("sidebar", 0, show_nav_level, **kwargs)
    name_toggles(soup)

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
        ul.insert_before(NavigableString(f"{S}UB{k}{S}"))
        ul.insert_after(NavigableString(f"{S}UE{k}{S}"))
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
        li.insert_before(NavigableString(f"{S}LB{k}{S}"))
        li.insert_after(NavigableString(f"{S}LE{k}{S}"))
        link = li.find("a", recursive=False)
        if link is None:
            li.insert(0, NavigableString(f"{S}LH{k}{S}"))
            continue
        link.insert_after(NavigableString(f"{S}LH{k}{S}"))
        if "://" in link.get("href", "") or "#" in link.get("href", ""):
            continue
        doc = uri_doc.get(link["href"])
        if doc is None:
            continue
        doc_lis.setdefault(doc, []).append(k)
        link["class"] = [f"{M}AC{k}{M}", *(link.get("class") or [])]
        hrefs[k] = link["href"]
        link["href"] = f"{M}AH{k}{M}"
    marked = str(soup)
    pieces = TOKEN_RE.split(STRUCT_RE.sub("", marked))
    slots = {}
    for pos in range(1, len(pieces), 2):
        m = PARSE_RE.search(pieces[pos])
        slots[(m[1], int(m[2]))] = pos
    tree = _parse_tree(marked)
    return Skeleton(pieces, slots, hrefs, li_parent, li_ul, li_details, doc_lis, tree)


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


def _versions() -> list[str]:
    """Versions of what draws the navigation (a theme that is not installed: "")."""
    from importlib import metadata

    out = []
    for dist in ("sphinx", "pydata-sphinx-theme", "sphinx-book-theme"):
        try:
            out.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            out.append("")
    out.append(hashlib.sha1(Path(__file__).read_bytes()).hexdigest())
    return out


def _theme_is_pydata(app: Sphinx) -> bool:
    """Whether the HTML theme is pydata-sphinx-theme or one built on it (the book theme)."""
    try:
        from pydata_sphinx_theme import toctree as pst_toctree
    except ImportError:
        return False
    listeners = app.events.listeners.get("html-page-context", [])
    return any(
        getattr(listener.handler, "__wrapped__", listener.handler)
        is pst_toctree.add_toctree_functions
        for listener in listeners
    )


def shipped(app: Sphinx) -> bool:
    """Whether pages carry only their branch (the whole navigation in the shared script).

    Judged from the settings: the cache and shipping on, the pydata theme's listener in
    place, the navigation not collapsed, and no page with a ``tocdepth``."""
    cfg = app.config
    if not (cfg.talkbook_navcache and cfg.talkbook_nav_shipped) or app.builder.name != "html":
        return False
    opts = cfg.html_theme_options or {}
    if _truthy(opts.get("collapse_navbar", False)):
        return False
    try:
        if int(opts.get("show_navbar_depth", 1)) < 1:
            return False
    except (TypeError, ValueError):
        return False
    if any("tocdepth" in m for m in app.env.metadata.values()):
        return False
    return _theme_is_pydata(app)


def navigation_signature(app: Sphinx) -> str:
    """What the navigation of a page outside the toc is made of (also part of what
    talkbook.pages compares before rewriting a generated page).

    When the navigation is shipped once such a page shows only the home link, the link to
    the contents page and the shared script: the root's title and the settings. Otherwise
    it shows the whole navigation: toc structure and titles, the toctree nodes' options,
    the settings, and the versions of Sphinx, the themes and this module."""
    if shipped(app):
        info = getattr(app.builder, "build_info", None)
        root = app.config.root_doc
        data: dict[str, Any] = {
            "shipped": [
                str(app.env.titles.get(root, "")),
                root,
                app.config.talkbook_nav_contents,
                getattr(info, "config_hash", ""),
                _versions(),
            ]
        }
        return hashlib.sha1(json.dumps(data, ensure_ascii=False).encode()).hexdigest()
    return full_signature(app)


def full_signature(app: Sphinx) -> str:
    """What the whole navigation is made of: toc structure and titles, the toctree nodes'
    options, the settings, and the versions of Sphinx, the themes and this module."""
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
        "versions": _versions(),
    }
    return hashlib.sha1(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def page_fingerprints(app: Sphinx) -> dict[str, str]:
    """Per page, what its own navigation shows: its entries' ancestors (title, the options
    of the toctree holding them), its siblings and children (titles), previous/next/parent
    (with titles), and what every page shows (:func:`navigation_signature`). A page whose
    fingerprint did not change needs no rewriting when the toc changes. O(N) in all: each
    toctree is hashed once."""
    from sphinx import addnodes

    env = app.env
    title = {d: str(t) for d, t in env.titles.items()}
    node_sig: dict[tuple[str, int], str] = {}
    node_attrs: dict[tuple[str, int], str] = {}
    holder: dict[str, tuple[str, int]] = {}  # doc -> first toctree that lists it
    own: dict[str, list[str]] = {}  # doc -> signatures of its toctrees (its children)
    for doc in sorted({app.config.root_doc, *env.toctree_includes}):
        if doc not in env.tocs:
            continue
        for i, node in enumerate(env.tocs[doc].findall(addnodes.toctree)):
            attrs = {
                k: v
                for k, v in node.attributes.items()
                if k not in ("source", "line", "entries", "includefiles", "rawentries")
            }
            entries = [(ref, t or "", title.get(ref, "")) for t, ref in node["entries"]]
            node_attrs[(doc, i)] = repr(sorted(attrs.items()))
            node_sig[(doc, i)] = hashlib.sha1(
                repr((node_attrs[(doc, i)], entries)).encode()
            ).hexdigest()
            own.setdefault(doc, []).append(node_sig[(doc, i)])
            for _t, ref in node["entries"]:
                holder.setdefault(ref, (doc, i))
    relations = env.collect_relations()
    common = navigation_signature(app)
    out = {}
    for doc in env.all_docs:
        parts = [common]
        at = holder.get(doc)
        if at is not None:
            parts.append(node_sig[at])  # the page's siblings, with the caption
            seen = {doc}
            while at is not None and at[0] not in seen:  # ancestors
                seen.add(at[0])
                parts.append(f"{at[0]}|{title.get(at[0], '')}|{node_attrs[at]}")
                at = holder.get(at[0])
            parts += own.get(doc, [])
        rel = relations.get(doc) or []
        parts += [f"{d}|{title.get(d, '')}" for d in rel if d]
        out[doc] = hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]
    return out


def signature(app: Sphinx, key: tuple) -> str:
    """The navigation signature of one way of calling the theme (*key*)."""
    return hashlib.sha1(f"{full_signature(app)}\n{key!r}".encode()).hexdigest()


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
    if not isinstance(skeleton, Skeleton):
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
    state["last"] = (key, sig)
    return skeleton


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _check(app: Sphinx, pagename: str, expected: str, out: str) -> None:
    if expected == out:
        return
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
            state["shipped"] = shipped(app)
        if not state["usable"]:
            return
        per_page: dict[tuple, Any] = {}
        page_info: dict[str, str] = {}

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
            target = app.builder.get_target_uri(pagename)
            if state["shipped"]:
                out = Markup(skeleton.branch(pagename, target, prefix))
                page_info.update(
                    page=target,
                    script=SCRIPT,
                    contents=app.config.talkbook_nav_contents,
                )
            else:
                out = Markup(skeleton.render(pagename, target, prefix))
            state["pages"] = state.get("pages", 0) + 1
            if app.config.talkbook_navcache_check:
                expected = str(name_toggles(theirs(kind, startdepth, show_nav_level, **kwargs)))
                _check(app, pagename, expected, skeleton.render(pagename, target, prefix))
            per_page[key] = out
            return out

        context["generate_toctree_html"] = generate_toctree_html
        # for the sidebar template, after generate_toctree_html: the page's data for the
        # shared script and the contents link, or None when the page has the whole tree
        context["talkbook_nav_tree"] = lambda: dict(page_info) if page_info else None

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
    """Write again (not read: their doctrees are unchanged) the pages whose navigation
    changed. Stock Sphinx rewrites only the pages it read, so after an incremental build the
    other pages' sidebars (and prev/next links) would miss a new page or show an old title.

    With the navigation shipped once, a page shows only its own branch: the pages whose
    fingerprint (:func:`page_fingerprints`) changed. Otherwise every page shows the whole
    navigation: every page, when anything in it changed."""
    if (
        app.builder.format != "html"
        or not app.config.talkbook_navcache
        or not _theme_is_pydata(app)
    ):
        return []
    if shipped(app):
        old_prints = getattr(env, "talkbook_nav_pages", None)
        read = app.__dict__.pop("_talkbook_nav_read", None)
        touched = read is None or bool(read) or app.__dict__.pop("_talkbook_nav_purged", False)
        if old_prints is not None and not touched and old_prints.keys() == set(env.all_docs):
            return []  # no page read or removed: no title, toc or relation changed
        prints = page_fingerprints(app)
        env.talkbook_nav_pages = prints  # pickled with the environment
        env.talkbook_nav_signature = None
        if old_prints is None:
            old_sig = getattr(env, "talkbook_nav_signature_prev", None)
            env.talkbook_nav_signature_prev = None
            return [] if old_sig is None else sorted(env.all_docs)
        return sorted(d for d, p in prints.items() if d in old_prints and old_prints[d] != p)
    sig = full_signature(app)
    old = getattr(env, "talkbook_nav_signature", None)
    env.talkbook_nav_signature = sig
    env.talkbook_nav_pages = None
    if old is None or old == sig:
        return []  # a fresh environment writes everything anyway
    return sorted(env.all_docs)


def on_env_before_read_docs(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """Keep the list of pages to read (other listeners may still add to it): only when a
    page is read or removed can a fingerprint change."""
    app.__dict__["_talkbook_nav_read"] = docnames


def on_env_purge_doc(app: Sphinx, env: Any, docname: str) -> None:
    app.__dict__["_talkbook_nav_purged"] = True


def on_env_updated(app: Sphinx, env: Any) -> None:
    """Titles or the toc may have changed: the navigation is rendered again for this build."""
    app.__dict__.pop("_talkbook_navcache", None)


def collect_pages(app: Sphinx) -> Iterator[tuple[str, dict, str]]:
    """Write the shared navigation script and the contents page (html-collect-pages), when
    this build drew the navigation and it differs from the one on disk."""
    state = app.__dict__.get("_talkbook_navcache") or {}
    if not state.get("shipped") or "last" not in state:
        return
    key, sig = state["last"]
    skeleton: Skeleton = state[key]
    script = Path(app.outdir) / SCRIPT
    stamp = f"/* talkbook-nav-tree {sig} */\n"
    try:
        same = script.read_text(encoding="utf-8").startswith(stamp)
    except OSError:
        same = False
    name = app.config.talkbook_nav_contents
    page = Path(app.outdir) / app.builder.get_target_uri(name) if name else None
    if same and (page is None or page.exists() or name in app.env.all_docs):
        if name and name not in app.env.all_docs:
            _keep_in_sitemap(app, name)
        return
    code = SCRIPT_TEMPLATE.read_text(encoding="utf-8").replace(
        '"__TALKBOOK_NAV__"', json.dumps("".join(skeleton.neutral("")), ensure_ascii=False)
    )
    script.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(script, (stamp + code).encode("utf-8"))
    if name and name not in app.env.all_docs:
        from sphinx.locale import _

        title = _("Complete Table of Contents")
        body = (
            f'<section id="talkbook-nav-contents"><h1>{html.escape(title)}</h1>\n'
            f'<nav class="bd-links talkbook-nav-contents" aria-label="{html.escape(title)}">\n'
            f"{skeleton.contents()}\n</nav></section>"
        )
        yield name, {"title": title, "body": body, "talkbook_nav_contents_page": True}, "page.html"


def _keep_in_sitemap(app: Sphinx, pagename: str) -> None:
    """List a page this build does not write again in sphinx-sitemap's sitemap, which
    otherwise lists only the pages written in the build (as talkbook.meta does for the
    documents and generated pages)."""
    sitemap = app.extensions.get("sphinx_sitemap")
    if sitemap is not None and getattr(app, "sitemap_links", None) is not None:
        sitemap.module.add_html_link(app, pagename, "page.html", {}, None)


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
    app.add_config_value("talkbook_nav_shipped", True, "html", [bool])
    app.add_config_value("talkbook_nav_contents", "contents", "html", [str])
    app.connect("builder-inited", on_builder_inited)
    app.connect("env-purge-doc", on_env_purge_doc)
    app.connect("env-before-read-docs", on_env_before_read_docs)
    app.connect("env-get-updated", on_env_get_updated)
    app.connect("env-updated", on_env_updated)
    app.connect("html-collect-pages", collect_pages)
    app.connect("build-finished", on_build_finished)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
