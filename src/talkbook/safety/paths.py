"""Files a page may reach: ``include``, ``literalinclude``, ``raw``/``csv-table`` ``:file:``,
``{download}``, images, figures and a code cell's ``:load:`` must resolve inside the project
(symlinks followed), outside hidden folders (``.git`` holds CI credentials) and outside the
build output. A refused file is never read into the doctree, so its content reaches neither
the HTML, the search index nor the pickled doctrees.

``confine`` is a plain function, shared with ``talkbook check``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.parsers.rst.directives.misc import Raw
from docutils.parsers.rst.directives.tables import CSVTable
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.code import LiteralInclude
from sphinx.directives.other import Include
from sphinx.util import logging

from .html import url_scheme

logger = logging.getLogger(__name__)

FIX = "keep the file inside the repository, next to the page, and use a relative path"
# images a page may show (Sphinx copies them next to the pages: an .html "image" would be a
# page on the site's origin); SVG is allowed when it holds no script
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".ico", ".svg"}
)
# downloads a browser would render as a document of the site (script on its origin)
ACTIVE_SUFFIXES = frozenset(
    {".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".mht"}
)
_SVG_ACTIVE_RE = re.compile(
    rb"<\s*script|\bon[a-z]+\s*=|javascript:|<\s*foreignobject|<\s*iframe|<\s*embed|"
    rb"<\s*object|xlink:href\s*=\s*[\"']?\s*(?!#)|\bhref\s*=\s*[\"']?\s*(?!#)[a-z]+:",
    re.I,
)


def svg_problem(path: Path) -> str | None:
    """Why an SVG file may not be published (opened directly, it is a page of the site and
    runs its script), or None. Bounded read: SVGs over 5 MB are refused."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(5_000_001)
    except OSError:
        return None  # Sphinx reports a missing image itself
    if len(data) > 5_000_000:
        return f"{path.name}: SVG over 5 MB (export it as PNG)"
    if _SVG_ACTIVE_RE.search(data):
        return (
            f"{path.name}: SVG with script, event handlers or external links is not allowed "
            "(export it as PNG, or remove the script)"
        )
    return None


def confine(path: Path | str, roots: list[Path], *, shown: str | None = None) -> str | None:
    """Why ``path`` may not be read by a page, or None when it may: its real path (symlinks
    resolved) must lie under one of ``roots`` (the first is the project) and in no hidden
    folder or file there."""
    shown = shown or str(path)
    real = Path(os.path.realpath(path))
    for root in roots:
        root_real = Path(os.path.realpath(root))
        try:
            rel = real.relative_to(root_real)
        except ValueError:
            continue
        hidden = [part for part in rel.parts if part.startswith(".")]
        if hidden:
            return f"{shown!r} is in the hidden folder or file {hidden[0]!r} ({FIX})"
        return None
    return f"{shown!r} points outside the repository ({FIX})"


def _roots(app: Sphinx) -> list[Path]:
    """The project root, then the folder myst-nb writes notebook outputs to."""
    setting = app.config.talkbook_safety_root
    root = Path(app.srcdir, setting) if setting else Path(app.srcdir)
    return [root, Path(app.outdir).parent / "jupyter_execute"]


def _excluded(app: Sphinx, path: Path) -> str | None:
    """Build output inside the project is not a source either."""
    real = Path(os.path.realpath(path))
    for out in (app.outdir, app.doctreedir):
        base = Path(os.path.realpath(out)).parent
        if base != Path(os.path.realpath(app.srcdir)) and real.is_relative_to(base):
            if not real.is_relative_to(Path(base, "jupyter_execute")):
                return f"{path!s} is build output ({FIX})"
    return None


def problem_for(app: Sphinx, path: Path, shown: str) -> str | None:
    return confine(path, _roots(app), shown=shown) or _excluded(app, path)


# ---------------------------------------------------------------------------- directives


def _refuse_parser(value: str) -> str:
    raise ValueError(
        "the :parser: option is not allowed (included files are read as MyST, like the page)"
    )


class SafeInclude(Include):
    """``include`` that reads only files inside the project (reStructuredText pages and
    ``{eval-rst}`` blocks; MyST pages are checked in ``source-read``/``include-read``)."""

    option_spec = {**Include.option_spec, "parser": _refuse_parser}

    def run(self):
        arg = self.arguments[0]
        if not (arg.startswith("<") and arg.endswith(">")):
            _, filename = self.env.relfn2path(arg)
            why = problem_for(self.env.app, Path(filename), arg)
            if why:
                raise self.warning(f"include: {why}")
        else:
            raise self.warning("include: docutils' standard includes are not allowed")
        return super().run()


class SafeLiteralInclude(LiteralInclude):
    """``literalinclude`` that reads only files inside the project (``:diff:`` too)."""

    def run(self):
        for arg in (self.arguments[0], self.options.get("diff")):
            if arg:
                _, filename = self.env.relfn2path(arg)
                why = problem_for(self.env.app, Path(filename), arg)
                if why:
                    return [
                        self.state.document.reporter.warning(
                            f"literalinclude: {why}", line=self.lineno
                        )
                    ]
        return super().run()


def _trusted(env, docname: str) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(docname, g) for g in env.config.talkbook_safety_trusted_pages)


class SafeRaw(Raw):
    """``raw`` without ``:file:``/``:url:`` in pages that are not trusted (inline raw HTML is
    sanitized after parsing)."""

    def run(self):
        env = self.state.document.settings.env
        if ("file" in self.options or "url" in self.options) and not _trusted(env, env.docname):
            option = "file" if "file" in self.options else "url"
            raise self.warning(
                f"raw: the :{option}: option is not allowed in notes (write the content in "
                "the page; raw HTML is sanitized)"
            )
        return super().run()


class SafeCSVTable(CSVTable):
    """``csv-table`` whose ``:file:`` lies inside the project and without ``:url:``."""

    def run(self):
        if "url" in self.options:
            raise self.warning(
                "csv-table: the :url: option is not allowed (copy the CSV file "
                "into the repository and use :file:)"
            )
        if "file" in self.options:
            env = self.state.document.settings.env
            source_dir = Path(
                self.state.document.current_source or env.doc2path(env.docname)
            ).parent
            target = Path(source_dir, self.options["file"])
            why = problem_for(env.app, target, self.options["file"])
            if why:
                raise self.warning(f"csv-table: {why}")
        return super().run()


def register_directives(app: Sphinx) -> None:
    app.add_directive("include", SafeInclude, override=True)
    app.add_directive("literalinclude", SafeLiteralInclude, override=True)
    app.add_directive("raw", SafeRaw, override=True)
    app.add_directive("csv-table", SafeCSVTable, override=True)


# ---------------------------------------------------------------------------- MyST source

# a MyST directive fence that reads a file: ```{include} path / :::{literalinclude} path
_FENCE_RE = re.compile(
    r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*\{(?P<name>include|literalinclude)\}"
    r"\s+(?P<arg>\S.*?)\s*$"
)
_LOAD_RE = re.compile(r"^(?P<indent>\s*):load:\s*(?P<arg>\S.*?)\s*$")


def scan_source(text: str, resolve) -> tuple[str, list[tuple[int, str]]]:
    """Neutralise MyST directives in ``text`` that would read a refused file: the fence of an
    ``include``/``literalinclude`` becomes a plain code fence (its options show as text) and a
    code cell's ``:load:`` line is emptied. ``resolve(arg) -> problem or None``.
    Returns the new text and (line, problem) pairs."""
    lines = text.split("\n")
    problems: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        m = _FENCE_RE.match(line)
        if m:
            why = resolve(m["arg"])
            if why:
                problems.append((i + 1, f"{m['name']}: {why}"))
                lines[i] = f"{m['indent']}{m['fence']}text"
            continue
        m = _LOAD_RE.match(line)
        if m:
            why = resolve(m["arg"])
            if why:
                problems.append((i + 1, f"code-cell :load: {why}"))
                lines[i] = ""
    return "\n".join(lines), problems


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))

    def resolve(arg: str) -> str | None:
        _, filename = app.env.relfn2path(arg, docname)
        return problem_for(app, Path(filename), arg)

    text, problems = scan_source(source[0], resolve)
    for line, why in problems:
        logger.warning(why, location=(docname, line), type="talkbook", subtype="safety")
    if problems:
        source[0] = text
    del path


def on_include_read(
    app: Sphinx, relative_path: Path, parent_docname: str, content: list[str]
) -> None:
    """Last line of defence (nested includes, includes inside included files): a refused
    file's text is replaced by nothing before it is parsed."""
    target = Path(app.srcdir, relative_path)
    why = problem_for(app, target, str(relative_path))
    if why:
        content[0] = ""
        logger.warning(
            f"include: {why}", location=parent_docname, type="talkbook", subtype="safety"
        )


# ---------------------------------------------------------------------------- doctree


def _local(uri: str) -> bool:
    return url_scheme(uri) is None and not uri.startswith(("//", "data:"))


def location(node: nodes.Node, docname: str):
    """The node when it knows its file and line, else the page and the nearest ancestor's
    line (notebook outputs and reST links carry none themselves)."""
    here: nodes.Node | None = node
    while here is not None:
        if getattr(here, "line", None):
            return here if here is node and node.source else (docname, here.line)
        here = here.parent
    return (docname, None)


def check_doctree(app: Sphinx, doctree: nodes.document) -> None:
    """Images, downloads and literal blocks read from files outside the project are removed
    before Sphinx copies them to the output (runs before the image/download collectors)."""
    env = app.env
    docname = env.docname
    for node in list(doctree.findall(nodes.image)):
        uri = node.get("uri", "")
        if not uri or not _local(uri) or "://" in uri:
            continue
        _, filename = env.relfn2path(uri.replace("*", "x"), docname)
        why = problem_for(app, Path(filename), uri)
        suffix = Path(filename).suffix.lower()
        if not why and "*" not in uri and suffix not in IMAGE_SUFFIXES:
            why = (
                f"{uri!r} is not an image file (use {', '.join(sorted(IMAGE_SUFFIXES))}; "
                "other files would be published as pages of the site)"
            )
        if not why and suffix == ".svg":
            why = svg_problem(Path(filename))
        if why:
            logger.warning(
                f"image: {why}", location=location(node, docname), type="talkbook", subtype="safety"
            )
            node.replace_self(nodes.inline(text=node.get("alt", "")))
    for node in list(doctree.findall(addnodes.download_reference)):
        target = node.get("reftarget", "")
        if not target or not _local(target):
            continue
        _, filename = env.relfn2path(target, docname)
        why = problem_for(app, Path(filename), target)
        if not why and Path(filename).suffix.lower() in ACTIVE_SUFFIXES:
            why = (
                f"{target!r}: a {Path(filename).suffix} file would open as a page of the site "
                "and run its script (zip it, or link its source on the repository)"
            )
        if why:
            logger.warning(
                f"download: {why}",
                location=location(node, docname),
                type="talkbook",
                subtype="safety",
            )
            node.replace_self(nodes.inline(text=node.astext()))
    for node in list(doctree.findall(nodes.literal_block)):
        source = node.get("source")
        if source and source != doctree.get("source") and Path(source).is_absolute():
            why = problem_for(app, Path(source), source)
            if why:
                logger.warning(
                    f"literal block: {why}",
                    location=location(node, docname),
                    type="talkbook",
                    subtype="safety",
                )
                node.replace_self(nodes.paragraph(text=""))


__all__ = ["confine", "scan_source", "directives"]
