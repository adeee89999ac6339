"""``talkbook.safety``: a Sphinx extension that keeps strangers' notes and notebooks from
running script in the reader's browser, publishing the build machine's files or changing the
repository while the book builds. Usable alone (``extensions = ["talkbook.safety"]``).

What it enforces and why is in ``docs-dev/security.md``. Every refusal is a warning with
``file:line`` and a fix, so ``-W`` fails the build and the author sees why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from .. import __version__
from . import html as html_mod
from . import notebooks, paths

logger = logging.getLogger(__name__)
PREFIX = "talkbook_safety_"


@dataclass
class SafetyConfig:
    """Settings (``sphinx: config: talkbook_safety_<name>: ...`` in ``_config.yml``)."""

    trusted_notebooks: list = field(
        default_factory=list,
        metadata={"help": "docname globs of notebooks whose outputs may run script (itables)"},
    )
    trusted_pages: list = field(
        default_factory=list,
        metadata={"help": "docname globs of maintainers' pages whose raw HTML is not sanitized"},
    )
    guard_execution: bool = field(
        default=True,
        metadata={"help": "fail a notebook that changes project files or leaves processes"},
    )
    root: str = field(
        default="",
        metadata={"help": "project root, relative to the book root ('' = the book root)"},
    )


def _register(app: Sphinx) -> None:
    for f in fields(SafetyConfig):
        default = f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
        app.add_config_value(PREFIX + f.name, default, "env", types=[type(default)])


def _warn(message: str, node: nodes.Node | str, subtype: str = "safety") -> None:
    logger.warning(message, location=node, type="talkbook", subtype=subtype)


def _page_trusted(app: Sphinx, docname: str) -> bool:
    return any(fnmatchcase(docname, g) for g in app.config.talkbook_safety_trusted_pages)


def _mime_type(node: nodes.Node) -> str | None:
    """The notebook output mime type a node renders (myst-nb's mime containers), if any."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.Element) and parent.get("mime_type"):
            return str(parent["mime_type"])
        parent = parent.parent
    return None


def _location(node: nodes.Node, docname: str):
    return paths.location(node, docname)


def _front_matter_line(app: Sphinx, docname: str, needle: str) -> int | None:
    """The line of ``needle`` in the page's front matter (``html_meta`` keys have none)."""
    try:
        text = Path(app.env.doc2path(docname)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for i, line in enumerate(text.splitlines()[:200], start=1):
        if needle in line:
            return i
    return None


def sanitize_doctree(app: Sphinx, doctree: nodes.document) -> None:
    """Clean every raw HTML node, drop script outputs of untrusted notebooks, and filter
    ``<meta>`` tags and link targets (doctree-read: before the doctree is pickled, indexed
    or written)."""
    docname = app.env.docname
    page_trusted = _page_trusted(app, docname)
    nb_trusted = notebooks.trusted(app.config, docname)
    for node in list(doctree.findall(nodes.raw)):
        formats = str(node.get("format", "")).split()
        if "html" not in formats or node.get("talkbook_trusted"):
            continue  # the kit's own markup (autoescaped templates) is marked by the kit
        mime = _mime_type(node)
        if mime is not None:
            if nb_trusted:
                continue
            if mime in notebooks.JS_MIME_TYPES:
                _warn(
                    f"notebook output {mime} dropped (untrusted notebook; show a static "
                    "figure or table, or ask maintainers to add "
                    f"{docname!r} to talkbook_safety_trusted_notebooks)",
                    _location(node, docname),
                )
                node.parent.remove(node)
                continue
            result = html_mod.sanitize(node.astext())
            # the author does not write this markup (pandas, Styler, libraries): only what
            # could run or load something is worth a warning; pandas' <style scoped>, odd
            # attributes (halign) and style properties are dropped without a word
            problems = [
                p
                for p in result.problems
                if "<style>" not in p and not p.startswith(("attribute ", "style property"))
            ]
            for p in problems:
                _warn(f"notebook output {mime}: {p}", _location(node, docname))
        else:
            if page_trusted:
                continue
            result = html_mod.sanitize(node.astext())
            for p in result.problems:
                _warn(p, _location(node, docname))
        node.replace_self(nodes.raw("", result.html, format=node["format"]))
    if not page_trusted:
        _filter_meta(app, doctree, docname)
        _filter_links(doctree, docname)
    notebooks.drop_widget_state(app, docname)


def _filter_meta(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``<meta>`` from ``myst: html_meta`` (pending nodes) and ``meta`` directives."""

    def where(meta: nodes.meta):
        if meta.line:
            return _location(meta, docname)
        bad = sorted(set(meta.non_default_attributes()) - html_mod.ALLOWED_META_ATTRIBUTES)
        return (docname, _front_matter_line(app, docname, bad[0] if bad else "html_meta"))

    for pending in list(doctree.findall(nodes.pending)):
        kept = []
        for meta in pending.details.get("nodes", []):
            why = isinstance(meta, nodes.meta) and html_mod.meta_problem(
                meta.non_default_attributes()
            )
            if why:
                _warn(why, where(meta))
            else:
                kept.append(meta)
        if "nodes" in pending.details:
            pending.details["nodes"] = kept
    for meta in list(doctree.findall(nodes.meta)):
        why = html_mod.meta_problem(meta.non_default_attributes())
        if why:
            _warn(why, where(meta))
            meta.parent.remove(meta)


def _filter_links(doctree: nodes.document, docname: str) -> None:
    """Links (reST, MyST autolinks) whose scheme can run script lose their target."""
    for ref in list(doctree.findall(nodes.reference)):
        uri = ref.get("refuri")
        if uri and (why := html_mod.url_problem(uri)):
            _warn(f"link: {why}", _location(ref, docname))
            del ref["refuri"]
            ref.replace_self(nodes.inline("", "", *ref.children))


def setup(app: Sphinx) -> dict[str, Any]:
    _register(app)
    paths.register_directives(app)
    app.connect("env-before-read-docs", notebooks.env_setup)
    app.connect("env-purge-doc", notebooks.on_env_purge_doc)
    app.connect("env-merge-info", notebooks.on_env_merge_info)
    app.connect("source-read", paths.on_source_read, priority=300)
    app.connect("source-read", notebooks.on_source_read, priority=900)
    app.connect("include-read", paths.on_include_read)
    # before Sphinx's image and download collectors (500) copy files to the output
    app.connect("doctree-read", paths.check_doctree, priority=400)
    app.connect("doctree-read", sanitize_doctree, priority=450)
    app.connect(
        "doctree-read",
        lambda app, doctree: notebooks.on_doctree_read_guard(app, app.env.docname),
        priority=100,
    )
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
