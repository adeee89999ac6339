"""The rules a page must follow, one function per rule, each returning :class:`Problem`s.

Page-local rules (:data:`PAGE_RULES`) need only the page and a :class:`RuleContext`; the
build runs them for every document through :func:`note_problems`, ``talkbook check`` runs
them for every file, so both print the same messages. Cross-document rules
(:func:`project_problems`) need the :class:`ProjectIndex` of every page; Sphinx enforces all of
them itself under ``-W -n``, so only ``talkbook check`` runs them.

Each rule says who else enforces it (``enforced_by``): ``"sphinx"`` or ``"myst"`` when the
build warns about the same problem on its own, so the build can skip it and not report it
twice.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from myst_parser.config.main import MdParserConfig

from ..catalog import Catalog, Problem
from ..frontmatter import UNSAFE_YAML, FrontMatter, parse_front_matter, validate_front_matter
from . import myst

#: who else reports a problem in the build; the build skips these rules by default
BUILD_ENFORCED = frozenset({"sphinx", "myst", "safety"})
SOURCE_SUFFIXES = (".md", ".ipynb", ".rst")
PLACEHOLDER_RE = re.compile(r"^\s*(TODO|TBD|FIXME|XXX)\b")
SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
JS_LINK_RE = re.compile(r"\]\(\s*<?\s*javascript\s*:", re.I)
#: labels the standard domain always has
STD_LABELS = {"genindex", "modindex", "search"}


@dataclass
class ProjectIndex:
    """Every target a cross-reference can name, collected from all pages of the book."""

    docnames: set[str] = field(default_factory=set)
    labels: dict[str, tuple[str, int]] = field(default_factory=dict)  # lower label -> where
    slugs: dict[str, set[str]] = field(default_factory=dict)  # docname -> heading anchors
    terms: dict[str, tuple[str, int]] = field(default_factory=dict)  # lower term -> where

    def resolves(self, target: str, refdoc: str) -> bool:
        """What myst's "any" resolution accepts: a label, a document or a glossary term."""
        low = target.lower()
        return (
            low in self.labels
            or low in STD_LABELS
            or low in self.terms
            or target.strip("/") in self.docnames
            or docname_join(refdoc, target) in self.docnames
        )


@dataclass
class RuleContext:
    """What the rules need besides the page; built once per check run or per build."""

    root: Path  # the book's source folder (Sphinx srcdir): page paths are relative to it
    md_config: MdParserConfig = field(default_factory=MdParserConfig)
    catalog: Catalog | None = None  # None: talk ids and front matter are not checked
    specs: list[dict[str, Any]] = field(default_factory=list)  # front matter schema fields
    notes_dir: str = ""  # pages under it must carry `talkbook:` front matter ("": none)
    index: ProjectIndex | None = None
    _md: MarkdownIt | None = None

    @property
    def md(self) -> MarkdownIt:
        if self._md is None:
            self._md = myst.parser(self.md_config)
        return self._md


@dataclass
class Page:
    """One page read: front matter and MyST content (notebook cells together)."""

    path: str  # as printed in messages
    docname: str
    fm: FrontMatter
    doc: myst.MystDoc
    fm_ok: bool = True
    notebook: bool = False
    ipynb: bool = False
    body_start: int = 1
    empty: bool = False
    text: str = ""  # the page's source (Markdown pages)
    cells: int = 0
    rel: str = ""  # path relative to the root (the docname plus its suffix)

    def __post_init__(self) -> None:
        self.rel = self.rel or self.path


@dataclass(frozen=True)
class Rule:
    check: Callable[[Page, RuleContext], list[Problem]]
    enforced_by: str | None = None  # "sphinx"/"myst": the build reports it on its own


def docname_of(path: str) -> str:
    for suffix in SOURCE_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def docname_join(refdoc: str, target: str) -> str:
    """Sphinx's ``docname_join``: a target relative to the referring document."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(refdoc), target))


# --------------------------------------------------------------------------- reading


def load_page(path: str, text: str, ctx: RuleContext) -> tuple[Page, list[Problem]]:
    """Parse one page (``path`` relative to the root, .md or .ipynb); problems of reading."""
    if path.endswith(".ipynb"):
        return _load_notebook(path, text, ctx)
    fm, problems = parse_front_matter(text, path)
    lines = text.split("\n")
    body_start = fm.end + 1 if fm.end > 0 else 1
    if problems:  # skip the unparsable front matter block
        close = next((i for i, line in enumerate(lines[1:], start=2) if line.strip() == "---"), 0)
        body_start = close + 1 if close else 1
    body = "\n".join(lines[body_start - 1 :])
    doc = myst.read(ctx.md, body, body_start - 1)
    notebook = (
        "kernelspec" in fm.data
        or "jupytext" in fm.data
        or any(d.name == "code-cell" for d in doc.directives)
    )
    page = Page(
        path,
        docname_of(path),
        fm,
        doc,
        fm_ok=not problems,
        notebook=notebook,
        body_start=min(body_start, len(lines)),
        empty=not body.strip(),
        text=text,
    )
    return page, problems


def _load_notebook(path: str, text: str, ctx: RuleContext) -> tuple[Page, list[Problem]]:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        fm = FrontMatter()
        problem = Problem(
            path,
            err.lineno,
            "",
            f"invalid notebook JSON: {err.msg}",
            "open and save it again in Jupyter",
        )
        return Page(path, docname_of(path), fm, myst.MystDoc(), fm_ok=False, ipynb=True), [problem]
    if not isinstance(nb, dict):
        nb = {}
    meta = nb.get("metadata") or {}
    meta = meta if isinstance(meta, dict) else {}
    top = list(re.finditer(r'(?m)^ ?"metadata"\s*:', text))  # nbformat: top level last
    start = text.count("\n", 0, top[-1].start()) + 1 if top else 1
    fm = FrontMatter(meta, {k: start for k in meta}, start, start)
    for key in meta:  # line of each metadata key, for messages
        m = re.search(rf'^\s*"{re.escape(str(key))}"\s*:', text, re.M)
        if m:
            fm.lines[key] = text.count("\n", 0, m.start()) + 1
    if isinstance(meta.get("talkbook"), dict):
        m = re.search(r'^\s*"talkbook"\s*:', text, re.M)
        base = m.end() if m else 0
        for sub in meta["talkbook"]:
            sm = re.search(rf'^\s*"{re.escape(str(sub))}"\s*:', text[base:], re.M)
            fm.lines[f"talkbook.{sub}"] = (
                text.count("\n", 0, base + sm.start()) + 1 if sm else fm.lines.get("talkbook", 1)
            )
    doc = myst.MystDoc()
    page = Page(path, docname_of(path), fm, doc, notebook=True, ipynb=True)
    for kind, src, line in myst.notebook_cells(nb, text):
        page.cells += 1
        if kind == "markdown":
            myst.read(ctx.md, src, line - 1, doc)
    page.empty = page.cells == 0
    return page, []


# --------------------------------------------------------------------------- page rules


def rule_parsable(page: Page, ctx: RuleContext) -> list[Problem]:
    """Paragraphs the MyST parser cannot read in linear time (the build would stall)."""
    return [
        Problem(
            page.path,
            line,
            "",
            f"{why}: too large to parse safely",
            "split it into shorter paragraphs (blank lines), or close the brackets",
        )
        for line, why in page.doc.hazards
    ]


def rule_front_matter(page: Page, ctx: RuleContext) -> list[Problem]:
    """``talkbook:`` front matter against the schema (notes, and pages that carry it)."""
    if ctx.catalog is None or not page.fm_ok:
        return []
    notes = ctx.notes_dir.strip("/") + "/"
    if page.rel.startswith(notes) or "talkbook" in page.fm.data:
        return validate_front_matter(page.fm, page.path, ctx.catalog, ctx.specs)
    return []


def rule_placeholders(page: Page, ctx: RuleContext) -> list[Problem]:
    """Template placeholders (``TODO: ...``) left in front matter text fields: they would be
    published (the description is the link preview)."""
    out = []
    for key, value in page.fm.talkbook.items():
        if isinstance(value, str) and PLACEHOLDER_RE.match(value):
            out.append(
                Problem(
                    page.path,
                    page.fm.lines.get(f"talkbook.{key}", page.fm.start or 1),
                    f"talkbook.{key}",
                    f"placeholder text left in place: {value[:60]!r}",
                    "replace it with your own text before publishing",
                )
            )
    return out


def rule_empty(page: Page, ctx: RuleContext) -> list[Problem]:
    if not page.empty:
        return []
    if page.ipynb:
        return [
            Problem(
                page.path,
                1,
                "",
                "notebook has no cells",
                "add content, or remove it and its _toc.yml entry",
            )
        ]
    return [
        Problem(
            page.path,
            page.body_start,
            "",
            "page is empty",
            "write the page, or remove it and its _toc.yml entry",
        )
    ]


def rule_title(page: Page, ctx: RuleContext) -> list[Problem]:
    """A page needs a title (Sphinx: the toctree entry "doesn't have a title")."""
    if page.empty or page.doc.headings:
        return []
    if page.ipynb:
        return [
            Problem(
                page.path, 1, "", "notebook has no title", "start it with a markdown cell `# Title`"
            )
        ]
    return [
        Problem(
            page.path,
            page.body_start,
            "",
            "page has no title",
            "start the page with a `# Title` heading",
        )
    ]


def rule_heading_levels(page: Page, ctx: RuleContext) -> list[Problem]:
    """myst-parser's section rule: the first heading is `#`, and levels never skip one."""
    out = []
    open_levels = [0]  # levels of the open sections (myst-parser's _level_to_section)
    for h in page.doc.headings:
        parent = max(level for level in open_levels if level < h.level)
        if parent + 1 != h.level:
            if parent == 0:
                out.append(
                    Problem(
                        page.path,
                        h.line,
                        "",
                        f"document headings start at H{h.level}, not H1",
                        f"write the page title with one `#`: `# {h.text[:40]}`",
                    )
                )
            else:
                out.append(
                    Problem(
                        page.path,
                        h.line,
                        "",
                        f"non-consecutive heading level increase: H{parent} to H{h.level}",
                        f"use {'#' * (parent + 1)} for a section under an H{parent}",
                    )
                )
        open_levels = [level for level in open_levels if level <= h.level]
        if h.level not in open_levels:
            open_levels.append(h.level)
    return out


def rule_talks(page: Page, ctx: RuleContext) -> list[Problem]:
    """Talk ids in ``{talk}`` roles and ``talk-card`` directives exist; the cards and the
    front matter ``talks`` list agree."""
    out: list[Problem] = []
    carded: dict[str, int] = {}
    for role in page.doc.roles:
        if role.name == "talk":
            out += _talk_id(myst.role_target(role.content), page.path, role.line, ctx)
    for d in page.doc.directives:
        if d.name != "talk-card":
            continue
        if not d.arg:
            out.append(
                Problem(
                    page.path,
                    d.line,
                    "",
                    "talk-card has no talk id",
                    "write ```{talk-card} <talk-id>",
                )
            )
            continue
        out += _talk_id(d.arg, page.path, d.line, ctx)
        carded.setdefault(d.arg, d.line)
    meta = page.fm.talkbook
    if not meta or ctx.catalog is None or not page.fm_ok:
        return out
    talks = meta.get("talks")
    declared = [str(t) for t in talks or []] if isinstance(talks, list) else []
    line = page.fm.lines.get("talkbook.talks", page.fm.lines.get("talkbook", 1))
    for talk_id, card_line in carded.items():
        if talk_id not in declared and ctx.catalog.has_talk(talk_id):
            out.append(
                Problem(
                    page.path,
                    card_line,
                    "",
                    f"talk-card {talk_id!r} is not listed in front matter `talks`",
                    "add it to `talks:`",
                )
            )
    for talk_id in declared:
        if talk_id not in carded and ctx.catalog.has_talk(talk_id):
            out.append(
                Problem(
                    page.path,
                    line,
                    "",
                    f"front matter lists talk {talk_id!r} but the page has no talk-card for it",
                    "add a ```{talk-card} section, or remove the id",
                )
            )
    return out


def _talk_id(talk_id: str, path: str, line: int, ctx: RuleContext) -> list[Problem]:
    if ctx.catalog is None:
        return [
            Problem(
                path,
                line,
                "",
                f"talk {talk_id!r}: this book has no talk catalog",
                "add the catalog's talks.csv, or remove the reference",
            )
        ]
    if ctx.catalog.has_talk(talk_id):
        return []
    close = ctx.catalog.closest_talks(talk_id)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    talks_file = ctx.catalog.schema["talks"].file if "talks" in ctx.catalog.schema else "talks.csv"
    return [
        Problem(
            path,
            line,
            "",
            f"unknown talk id {talk_id!r}",
            f"{hint}ids are listed in {talks_file}",
        )
    ]


def rule_kernelspec(page: Page, ctx: RuleContext) -> list[Problem]:
    """Notebooks (and MyST notebooks) need a kernelspec; code cells need the jupytext header."""
    if not page.notebook or not page.fm_ok:
        return []
    out = []
    if not page.ipynb and not is_myst_notebook(page.fm.data):
        cell = next((d for d in page.doc.directives if d.name == "code-cell"), None)
        out.append(
            Problem(
                page.path,
                cell.line if cell else 1,
                "",
                "code-cell directives, but the page is not a MyST notebook (no jupytext "
                "header), so they never run",
                "add `jupytext: {text_representation: {extension: .md, format_name: myst}}` "
                "to the front matter",
            )
        )
    ks = page.fm.data.get("kernelspec")
    line = page.fm.lines.get("kernelspec", page.fm.start or 1)
    if not isinstance(ks, dict) or not ks.get("name"):
        where = "the notebook metadata" if page.ipynb else "the front matter"
        out.append(
            Problem(
                page.path,
                line,
                "",
                "notebook has no kernelspec" if ks is None else "kernelspec has no `name`",
                "add `kernelspec: {name: python3, display_name: Python 3, language: python}` "
                f"to {where}",
            )
        )
    return out


def is_myst_notebook(data: dict[str, Any]) -> bool:
    """What myst-nb requires to read a .md page as a notebook (see is_myst_markdown_notebook)."""
    if data.get("file_format") == "mystnb":
        return True
    jupytext = data.get("jupytext")
    rep = jupytext.get("text_representation") if isinstance(jupytext, dict) else None
    return isinstance(rep, dict) and rep.get("format_name") == "myst"


class _Tags(HTMLParser):
    """Start tags of an HTML fragment with their attributes (the standard library's parser,
    linear and forgiving like a browser's tokenizer)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name.lower(), value or "")
        self.tags.append((tag.lower(), values, self.getpos()[0]))

    handle_startendtag = handle_starttag


def html_tags(html: myst.Html) -> list[tuple[str, dict[str, str], int]]:
    parser = _Tags()
    parser.feed(html.text)
    parser.close()
    return [(tag, attrs, html.line + line - 1) for tag, attrs, line in parser.tags]


def rule_html(page: Page, ctx: RuleContext) -> list[Problem]:
    """Raw HTML, files a page reads, links to files: talkbook.safety's rules, which the build
    enforces on the parsed document (same wording); here on the page's text, in seconds."""
    from talkbook.safety.check import page_problems as safety_problems

    if page.ipynb or not page.text:
        return []  # notebook outputs are cleaned by the build
    out = []
    for line, message in safety_problems(page.text, ctx.root / page.path, ctx.root):
        problem, _sep, fix = message.partition(" (")
        out.append(Problem(page.path, line, "", problem, fix[:-1] if fix.endswith(")") else fix))
    for text, line in page.doc.inline_texts:
        if JS_LINK_RE.search(text):
            out.append(_js_url(page.path, line))
    return out


def _js_url(path: str, line: int) -> Problem:
    return Problem(
        path, line, "", "javascript: URL is not allowed", "link to an http(s) page instead"
    )


def rule_images(page: Page, ctx: RuleContext) -> list[Problem]:
    """Images exist, stay inside the repository, have alt text and are not hot-linked."""
    out = []
    images = list(page.doc.images)
    for fragment in page.doc.html:
        for tag, attrs, line in html_tags(fragment):
            if tag == "img":
                images.append(
                    myst.Image(attrs.get("src", ""), (attrs.get("alt") or "").strip(), line, "html")
                )
    for image in images:
        out += _image(page, ctx, image)
    return out


def _image(page: Page, ctx: RuleContext, image: myst.Image) -> list[Problem]:
    path, line, src, alt = page.path, image.line, image.src.strip(), image.alt.strip()
    directive = image.how not in ("md", "html")
    html = image.how == "html"
    how = f"{{{image.how}}} directive" if directive else ("<img>" if html else "![alt](src)")
    if not src:
        return [
            Problem(path, line, "", f"image has no source ({how})", "give the image file's path")
        ]
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("//"):
        if re.match(r"^(https?:)?//", src, re.I):
            return [
                Problem(
                    path,
                    line,
                    "",
                    f"hot-linked external image {src!r}",
                    "save the image under book/ (if its license allows) and use a relative "
                    "path, or link to it instead",
                )
            ]
        if not src.lower().startswith("data:"):
            return [
                Problem(
                    path,
                    line,
                    "",
                    f"image source {src!r} is not a file in the repository",
                    "use a relative path to a file under book/",
                )
            ]
        return []
    out = []
    if not alt:
        fix = (
            "add `:alt: <description>`"
            if directive
            else (
                'add alt="<description>"'
                if html
                else "write a description between the brackets: ![description](src)"
            )
        )
        out.append(Problem(path, line, "", f"image {src!r} has no alt text", fix))
    clean = src.split("#")[0].split("?")[0]
    root = ctx.root
    page_dir = (root / page.rel).parent
    target = (root / clean.lstrip("/")) if clean.startswith("/") else (page_dir / clean)
    target = Path(os.path.normpath(target))
    if not _inside(root, target):
        out.append(
            Problem(
                path,
                line,
                "",
                f"image path {src!r} points outside the repository",
                "copy the image into the book and use a path inside it",
            )
        )
        return out
    exists = any(target.parent.glob(target.name)) if "*" in target.name else target.is_file()
    if not exists:
        shown = Path(os.path.relpath(target, root)).as_posix()
        out.append(
            Problem(
                path,
                line,
                "",
                f"image not found: {src!r}",
                f"add the file {shown} or fix the path (relative to the page)",
            )
        )
    return out


def _inside(root: Path, path: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


def rule_includes(page: Page, ctx: RuleContext) -> list[Problem]:
    """``include``/``literalinclude`` files exist inside the repository (Sphinx: "file not
    found", and an include could publish any file of the machine)."""
    out = []
    for d in page.doc.directives:
        if d.name not in ("include", "literalinclude") or not d.arg:
            continue
        arg = d.arg.strip()
        base = ctx.root if arg.startswith("/") else (ctx.root / page.rel).parent
        target = Path(os.path.normpath(base / arg.lstrip("/")))
        if not _inside(ctx.root, target):
            out.append(
                Problem(
                    page.path,
                    d.line,
                    "",
                    f"{d.name} path {arg!r} points outside the repository",
                    "include files of the book only",
                )
            )
        elif not target.is_file():
            out.append(
                Problem(
                    page.path,
                    d.line,
                    "",
                    f"{d.name} file not found: {arg!r}",
                    "fix the path (relative to the page)",
                )
            )
    return out


def rule_downloads(page: Page, ctx: RuleContext) -> list[Problem]:
    """``{download}`` files exist inside the repository (Sphinx: "download file not
    readable")."""
    out = []
    for role in page.doc.roles:
        if role.name != "download":
            continue
        target = myst.role_target(role.content)
        if SCHEME_RE.match(target):
            continue  # a URL
        file = _path_file(page, ctx, target)
        if file is None or not file.is_file():
            out.append(
                Problem(
                    page.path,
                    role.line,
                    "",
                    f"download file not found: {target!r}",
                    "give a file of the book, relative to this page",
                )
            )
    return out


PAGE_RULES: tuple[Rule, ...] = (
    Rule(rule_parsable),
    Rule(rule_front_matter),
    Rule(rule_placeholders),
    Rule(rule_empty),
    Rule(rule_title, enforced_by="sphinx"),  # "toctree ... doesn't have a title"
    Rule(rule_heading_levels, enforced_by="myst"),  # [myst.header]
    Rule(rule_talks),
    Rule(rule_kernelspec),
    Rule(rule_html, enforced_by="safety"),  # talkbook.safety warns at the node
    Rule(rule_images),
    Rule(rule_includes, enforced_by="sphinx"),  # "file not found" / include errors
    Rule(rule_downloads, enforced_by="sphinx"),  # "download file not readable"
)


def page_problems(page: Page, ctx: RuleContext, skip: Collection[str] = ()) -> list[Problem]:
    out: list[Problem] = []
    for rule in PAGE_RULES:
        if rule.enforced_by is None or rule.enforced_by not in skip:
            out += rule.check(page, ctx)
    return out


def note_problems(
    path: str, text: str, ctx: RuleContext, skip: Collection[str] = BUILD_ENFORCED
) -> list[Problem]:
    """Every page-local problem of one document, as the build should report it.

    ``path`` is the document's source path relative to ``ctx.root`` (Sphinx:
    ``env.doc2path(docname, base=False)``), ``text`` its source. Rules the build enforces on
    its own (``skip``) are left out; ``talkbook check`` passes ``skip=()``.
    """
    page, problems = load_page(path, text, ctx)
    return problems + page_problems(page, ctx, skip)


def build_source(
    path: str, text: str, ctx: RuleContext, skip: Collection[str] = BUILD_ENFORCED
) -> tuple[list[Problem], str]:
    """:func:`note_problems`, plus the text the build may hand to myst-parser.

    The problems are reported by the build as they are; the text is ``text`` with what would
    stall the parser blanked, line numbers kept: front matter with YAML aliases (myst-parser
    would expand them) and, when a paragraph is over the parser's safe bounds, the body.
    Notebooks (.ipynb JSON) come back unchanged.
    """
    page, problems = load_page(path, text, ctx)
    out = problems + page_problems(page, ctx, skip)
    if page.ipynb:
        return out, text
    lines = text.split("\n")
    if any(p.message.startswith(UNSAFE_YAML) for p in problems):
        close = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), 0)
        lines[: close + 1] = [""] * (close + 1)
    if page.doc.hazards:
        lines[page.body_start - 1 :] = [""] * (len(lines) - page.body_start + 1)
    return out, "\n".join(lines)


# --------------------------------------------------------------------------- cross-document rules


def index_pages(pages: Iterable[Page], docnames: Iterable[str]) -> ProjectIndex:
    """The targets of the whole book (``docnames``: what the build reads, generated pages
    included)."""
    index = ProjectIndex(docnames=set(docnames))
    for page in pages:
        index.slugs[page.docname] = set(page.doc.slugs)
        for label, line in page.doc.labels:
            index.labels.setdefault(label.lower(), (page.path, line))
        for term, line in page.doc.terms:
            index.terms.setdefault(term.lower(), (page.path, line))
    return index


def rule_roles(page: Page, index: ProjectIndex) -> list[Problem]:
    """``{doc}``, ``{ref}``, ``{term}`` and ``{download}`` targets exist."""
    out = []
    for role in page.doc.roles:
        target = myst.role_target(role.content)
        name = role.name.removeprefix("std:")
        if name == "doc":
            doc = docname_join(page.docname, target)
            if doc not in index.docnames:
                out.append(
                    Problem(
                        page.path,
                        role.line,
                        "",
                        f"unknown document {target!r}",
                        "name a page of _toc.yml without its suffix, relative to this page "
                        f"or from the root with a leading / (here: {doc!r})",
                    )
                )
        elif name == "ref":
            if target.lower() not in index.labels and target.lower() not in STD_LABELS:
                out.append(
                    Problem(
                        page.path,
                        role.line,
                        "",
                        f"undefined label {target!r}",
                        "define it with a line `(label)=` above a heading, or fix the name",
                    )
                )
        elif name == "term":
            if target.lower() not in index.terms:
                out.append(
                    Problem(
                        page.path,
                        role.line,
                        "",
                        f"term not in glossary: {target!r}",
                        "add it to the glossary page's ```{glossary} block, or fix the spelling",
                    )
                )
    return out


def rule_links(page: Page, index: ProjectIndex, ctx: RuleContext) -> list[Problem]:
    """Markdown links to other pages, labels and anchors resolve, as myst-parser resolves
    them (``[x](page.md)``, ``[x](page.md#anchor)``, ``[x](#label)``, ``<project:...>``)."""
    out = []
    schemes = set(ctx.md_config.url_schemes or ())
    for link in page.doc.links:
        problem = _link_problem(page, index, ctx, link, schemes)
        if problem:
            out.append(Problem(page.path, link.line, "", *problem))
    return out


def _link_problem(
    page: Page, index: ProjectIndex, ctx: RuleContext, link: myst.Link, schemes: set[str]
) -> tuple[str, str] | None:
    href = link.href
    if href.startswith("#"):
        return _anchor_problem(page, index, href[1:])
    m = SCHEME_RE.match(href)
    scheme = m[1] if m else None
    if scheme in schemes or scheme in ("inv", "path"):
        return None
    if scheme == "project":
        dest = href[len("project:") :]
        if dest.startswith("#"):
            return _anchor_problem(page, index, dest[1:])
        path, _, anchor = dest.partition("#")
        doc = _path_doc(page, ctx, path)
        if doc is None or not _is_source(path):
            return (
                f"could not find document {path!r}",
                "link a page of the book by its path relative to this page",
            )
        file = _path_file(page, ctx, path)
        return _doc_problem(index, doc, anchor, exists=file is not None and file.is_file())
    if link.auto:
        return None
    path, _, anchor = href.partition("#")
    file = _path_file(page, ctx, path)
    if file is not None and file.is_file():
        if not _is_source(path):
            return None  # a download link to a file
        return _doc_problem(index, _path_doc(page, ctx, path) or "", anchor)
    if index.resolves(href, page.docname):
        return None
    return (
        f"link target not found: {href!r}",
        "link a page by its path relative to this page (e.g. other.md), a label defined "
        "with (label)=, or a glossary term",
    )


def _anchor_problem(page: Page, index: ProjectIndex, target: str) -> tuple[str, str] | None:
    low = target.lower()
    if target in index.slugs.get(page.docname, set()):
        return None
    if any(label.lower() == low for label, _ in page.doc.labels) or index.resolves(
        target, page.docname
    ):
        return None
    return (
        f"link target not found: '#{target}'",
        "point it at a label defined with (label)= (or a heading anchor), or fix the name",
    )


def _doc_problem(
    index: ProjectIndex, doc: str, anchor: str, exists: bool = True
) -> tuple[str, str] | None:
    if doc not in index.docnames:
        return (
            f"unknown source document {doc!r}",
            "the page exists but is not in _toc.yml, so it is not built; list it there"
            if exists
            else "no page at this path; link a page of the book by its path relative to this page",
        )
    if anchor and anchor not in index.slugs.get(doc, set()):
        return (
            f"local id not found in doc {doc!r}: {anchor!r}",
            "link to a heading anchor of that page, or use {ref} with a (label)=",
        )
    return None


def _is_source(path: str) -> bool:
    return path.endswith(SOURCE_SUFFIXES)


def _path_file(page: Page, ctx: RuleContext, path: str) -> Path | None:
    if not path:
        return None
    base = ctx.root if path.startswith("/") else (ctx.root / page.rel).parent
    target = Path(os.path.normpath(base / path.lstrip("/")))
    return target if _inside(ctx.root, target) else None


def _path_doc(page: Page, ctx: RuleContext, path: str) -> str | None:
    file = _path_file(page, ctx, path)
    if file is None:
        return None
    return docname_of(Path(os.path.relpath(file, ctx.root)).as_posix())


def rule_duplicate_labels(pages: Iterable[Page]) -> list[Problem]:
    """A label is defined once in the book (pages in book order: the first one wins)."""
    seen: dict[str, tuple[str, int]] = {}
    out = []
    for page in pages:
        for label, line in page.doc.labels:
            if label.lower() in seen:
                first = seen[label.lower()]
                out.append(
                    Problem(
                        page.path,
                        line,
                        "",
                        f"duplicate label {label!r}",
                        f"first defined at {first[0]}:{first[1]}; labels must be unique "
                        "across the book",
                    )
                )
            else:
                seen[label.lower()] = (page.path, line)
    return out


def project_problems(pages: list[Page], index: ProjectIndex, ctx: RuleContext) -> list[Problem]:
    """Cross-document problems (all enforced by Sphinx/myst-parser in a strict build)."""
    out = rule_duplicate_labels(pages)
    for page in pages:
        out += rule_roles(page, index)
        out += rule_links(page, index, ctx)
    return out
