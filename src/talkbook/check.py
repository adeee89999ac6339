"""``talkbook check``: fast validation of the book sources, without building the book.

Every check reads files and runs regular expressions, so the whole book is checked in well
under a second (importing pandas for the catalog is the slowest part). Problems come back as
:class:`talkbook.catalog.Problem` and print as ``path:line: problem (fix)``.

What is checked (one function per family):

- the talk catalog (``data/*.csv``), with :func:`talkbook.catalog.collect`;
- files: UTF-8, size limits;
- pages: front matter YAML and schema, talk ids in ``{talk}`` roles and ``talk-card``
  directives, front matter ``talks`` against the cards, title, empty pages, notebooks'
  kernelspec, images (exist, inside the repository, alt text, not hot-linked), raw HTML
  (no ``<script>``, ``javascript:`` URLs or ``on*=`` handlers), section labels;
- the toc: every entry has a file, every page is listed, no page twice.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import toc as toc_mod
from .catalog import Catalog, Problem, collect, display_path
from .files import PAGE_SUFFIXES, Project
from .frontmatter import FrontMatter, load_field_specs, parse_front_matter, validate_front_matter

MAX_PAGE_BYTES = 1_000_000
MAX_FILE_BYTES = 5_000_000
TEXT_SUFFIXES = {
    ".md",
    ".ipynb",
    ".yml",
    ".yaml",
    ".csv",
    ".txt",
    ".json",
    ".bib",
    ".html",
    ".css",
    ".js",
    ".py",
    ".svg",
    ".tex",
    ".rst",
}
# Directives whose content is not MyST markdown (roles, images and labels inside are text).
LITERAL_DIRECTIVES = {
    "code",
    "code-block",
    "sourcecode",
    "code-cell",
    "literalinclude",
    "math",
    "mermaid",
    "csv-table",
    "graphviz",
    "eval-rst",
    "eval-md",
    "prompt",
    "parsed-literal",
    "toctree",
}
# Problems that mean a catalog file could not be read at all (its ids are unknown).
UNREADABLE = (
    "file not found",
    "not UTF-8",
    "empty file",
    "missing column",
    "unknown column",
    "cells, expected",
)

FENCE_RE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_RE = re.compile(r"^\{(?P<name>[^{}\s]+)\}\s*(?P<arg>.*?)\s*$")
OPTION_RE = re.compile(r"^\s*:(?P<key>[\w-]+):\s?(?P<value>.*)$")
ROLE_PREFIX_RE = re.compile(r"\{(?P<name>[\w:.+-]+)\}$")
EXPLICIT_RE = re.compile(r"^(?P<text>.+?)\s*<(?P<id>[^<>]+)>$", re.S)
HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.M)
LABEL_RE = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$", re.M)
MD_IMAGE_RE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\(\s*(?P<src><[^>]*>|[^)\s]*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
TAG_RE = re.compile(r"<(?P<name>[a-zA-Z][\w-]*)(?P<attrs>(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
ATTR_RE = re.compile(
    r"(?P<name>[^\s=/\"'<>]+)(?:\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"'=<>`]+)))?",
    re.S,
)
SCRIPT_RE = re.compile(r"<\s*script\b", re.I)
JS_URL_RE = re.compile(r"(?:\]\(\s*<?|=\s*[\"']?)\s*javascript\s*:", re.I)
COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


@dataclass
class Settings:
    max_page_bytes: int = MAX_PAGE_BYTES
    max_file_bytes: int = MAX_FILE_BYTES


@dataclass
class Directive:
    name: str
    arg: str
    line: int
    options: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass
class Scan:
    """A markdown page split into what MyST parses as markdown and what it does not.

    ``markdown`` and ``html`` have the same lines as the page; lines (and inline code) that
    are not markdown are blanked so regexes can run on the whole text and keep line numbers.
    """

    markdown: str
    html: str
    directives: list[Directive]
    body_start: int  # first line after the front matter


@dataclass
class Page:
    path: Path
    shown: str
    fm: FrontMatter
    scan: Scan | None = None
    notebook: bool = False
    fm_ok: bool = True  # front matter parsed (its problems are reported already)


@dataclass
class Report:
    problems: list[Problem]
    notes: list[str]
    pages: int
    talks: int
    seconds: float

    @property
    def files(self) -> int:
        return len({p.path for p in self.problems})


# --------------------------------------------------------------------------- scanning markdown


def mask_code_spans(line: str) -> str:
    """Blank inline code spans (keeping role content such as {talk}`id` intact)."""
    out, i, n = [], 0, len(line)
    while i < n:
        if line[i] != "`":
            out.append(line[i])
            i += 1
            continue
        j = i
        while j < n and line[j] == "`":
            j += 1
        ticks = line[i:j]
        close = line.find(ticks, j)
        while close != -1 and close + len(ticks) < n and line[close + len(ticks)] == "`":
            close = line.find(ticks, close + len(ticks) + 1)
        if close == -1:
            out.append(ticks)
            i = j
            continue
        if ROLE_PREFIX_RE.search("".join(out)):
            out.append(line[i : close + len(ticks)])
        else:
            out.append(" " * (close + len(ticks) - i))
        i = close + len(ticks)
    return "".join(out)


def scan_markdown(text: str, body_start: int) -> Scan:
    """Follow fences and directives line by line (nested fences included)."""
    lines = text.split("\n")
    md = [""] * len(lines)
    html = [""] * len(lines)
    directives: list[Directive] = []
    # stack of open fences: (char, length, context) with context md | literal | raw
    stack: list[tuple[str, int, str]] = []
    current: Directive | None = None  # directive whose options may follow
    in_options = False
    yaml_options = False
    for index in range(body_start - 1, len(lines)):
        line = lines[index]
        lineno = index + 1
        context = stack[-1][2] if stack else "md"
        m = FENCE_RE.match(line)
        if in_options and current is not None:
            if yaml_options:
                if line.strip() == "---":
                    yaml_options = in_options = False
                    continue
                om = re.match(r"^\s*(?P<key>[\w-]+):\s*(?P<value>.*)$", line)
                if om:
                    current.options[om["key"]] = (om["value"].strip().strip("\"'"), lineno)
                continue
            if line.strip() == "---" and not current.options:
                yaml_options = True
                continue
            om = OPTION_RE.match(line)
            if om:
                current.options[om["key"]] = (om["value"].strip(), lineno)
                continue
            in_options = False
        if m:
            char, length, info = m["fence"][0], len(m["fence"]), m["info"].strip()
            if stack and char == stack[-1][0] and length >= stack[-1][1] and not info:
                stack.pop()  # closing fence
                current = None
                continue
            if context != "literal" and not (char == "`" and "`" in info):
                d = DIRECTIVE_RE.match(info)
                if d:
                    name, arg = d["name"], d["arg"]
                    current = Directive(name, arg, lineno)
                    directives.append(current)
                    in_options, yaml_options = True, False
                    if name == "raw":
                        new_context = "raw" if arg.strip().lower() == "html" else "literal"
                    else:
                        new_context = "literal" if name in LITERAL_DIRECTIVES else "md"
                else:
                    new_context = "literal"
                stack.append((char, length, new_context))
                continue
        if context == "md":
            masked = mask_code_spans(line)
            md[index] = masked
            html[index] = masked
        elif context == "raw":
            html[index] = line
    md_text = COMMENT_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), "\n".join(md))
    html_text = COMMENT_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), "\n".join(html))
    # MyST comments: lines starting with %
    md_text = re.sub(r"(?m)^%.*$", "", md_text)
    return Scan(md_text, html_text, directives, body_start)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def notebook_markdown(nb: dict[str, Any], text: str) -> tuple[list[tuple[int, str]], list[str]]:
    """Markdown cells of a notebook with the JSON line where each cell starts; code cells."""
    cells = nb.get("cells") or []
    starts = [line_of(text, m.start()) for m in re.finditer(r'"cell_type"\s*:', text)]
    md, code = [], []
    for i, cell in enumerate(cells):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        if cell.get("cell_type") == "markdown":
            md.append((starts[i] if i < len(starts) else 1, src))
        elif cell.get("cell_type") == "code":
            code.append(src)
    return md, code


# --------------------------------------------------------------------------- the checker


class Checker:
    def __init__(self, project: Project, settings: Settings | None = None):
        self.project = project
        self.settings = settings or Settings()
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.catalog: Catalog | None = None
        self.specs: list[dict[str, Any]] = []
        self.pages: list[Page] = []

    def shown(self, path: Path) -> str:
        return display_path(path)

    def add(
        self, path: Path | str, line: int, message: str, fix: str = "", column: str = ""
    ) -> None:
        shown = path if isinstance(path, str) else self.shown(path)
        self.problems.append(Problem(shown, line, column, message, fix))

    # -- catalog

    def check_catalog(self) -> None:
        data = self.project.data_dir
        if not (data / "schema.yaml").is_file():
            self.add(
                data / "schema.yaml",
                0,
                "schema file not found",
                "talkbook_data_dir in _config.yml must point to the catalog folder",
            )
            return
        frames, schema, problems = collect(data)
        self.problems += problems
        unreadable = {
            key
            for key, table in schema.items()
            if any(
                p.path == display_path(data / table.file)
                and any(u in p.message for u in UNREADABLE)
                for p in problems
            )
        }
        if unreadable:
            files = ", ".join(f"data/{schema[k].file}" for k in sorted(unreadable))
            self.notes.append(
                f"talk ids and front matter were not checked: {files} could not be read"
            )
            return
        clean = {
            k: v.drop(columns="_line").drop_duplicates("id").reset_index(drop=True)
            for k, v in frames.items()
        }
        self.catalog = Catalog(data, clean["conferences"], clean["tags"], clean["talks"], schema)
        self.specs = load_field_specs(data)

    # -- files

    def read_text(self, path: Path, limit: int) -> str | None:
        """The file's text, or None after reporting why it cannot be used."""
        size = path.stat().st_size
        if size > limit:
            self.add(
                path,
                1,
                f"file is {size / 1_000_000:.1f} MB, over the {limit / 1_000_000:.1f} MB limit",
                "split the page, or keep large data out of the book (raise the limit with "
                "--max-page-size)",
            )
            return None
        data = path.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            self.add(
                path,
                line,
                f"file is not UTF-8 (byte 0x{data[err.start]:02x})",
                "save the file as UTF-8",
            )
            return None

    def check_other_files(self) -> None:
        """Non-page files under book/: size limit, and UTF-8 for text files."""
        for path in self.project.files(self.project.book_dir):
            if path.suffix in PAGE_SUFFIXES:
                continue
            size = path.stat().st_size
            if size > self.settings.max_file_bytes:
                self.add(
                    path,
                    0,
                    f"file is {size / 1_000_000:.1f} MB, over the "
                    f"{self.settings.max_file_bytes / 1_000_000:.1f} MB limit",
                    "shrink or compress it, or link to it instead (raise the limit with "
                    "--max-file-size)",
                )
            elif path.suffix.lower() in TEXT_SUFFIXES:
                data = path.read_bytes()
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as err:
                    self.add(
                        path,
                        data[: err.start].count(b"\n") + 1,
                        f"file is not UTF-8 (byte 0x{data[err.start]:02x})",
                        "save the file as UTF-8",
                    )

    # -- pages

    def load_page(self, path: Path) -> Page | None:
        text = self.read_text(path, self.settings.max_page_bytes)
        if text is None:
            return None
        shown = self.shown(path)
        if path.suffix == ".ipynb":
            return self.load_notebook(path, shown, text)
        fm, problems = parse_front_matter(text, shown)
        self.problems += problems
        body_start = fm.end + 1 if fm.end > 0 else 1
        if problems:  # skip the unparsable front matter block
            lines = text.split("\n")
            close = next(
                (i for i, line in enumerate(lines[1:], start=2) if line.strip() == "---"), 0
            )
            body_start = close + 1 if close else 1
        scan = scan_markdown(text, body_start)
        notebook = (
            "kernelspec" in fm.data
            or "jupytext" in fm.data
            or any(d.name == "code-cell" for d in scan.directives)
        )
        page = Page(path, shown, fm, scan, notebook, fm_ok=not problems)
        body = "\n".join(text.split("\n")[body_start - 1 :])
        if not problems:
            self.check_kernelspec(page)
        if not body.strip():
            self.add(
                path,
                body_start if body_start <= len(text.split("\n")) else 1,
                "page is empty",
                "write the page, or remove it and its _toc.yml entry",
            )
        elif not HEADING_RE.search(scan.markdown):
            self.add(
                path, body_start, "page has no title", "start the page with a `# Title` heading"
            )
        return page

    def load_notebook(self, path: Path, shown: str, text: str) -> Page | None:
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as err:
            self.add(
                path,
                err.lineno,
                f"invalid notebook JSON: {err.msg}",
                "open and save it again in Jupyter",
            )
            return None
        meta = nb.get("metadata") or {}
        top = list(re.finditer(r'(?m)^ ?"metadata"\s*:', text))  # nbformat: top level last
        start = line_of(text, top[-1].start()) if top else 1
        fm = FrontMatter(meta, {k: start for k in meta}, start, start)
        for key in meta:  # line of each metadata key, for messages
            m = re.search(rf'^\s*"{re.escape(key)}"\s*:', text, re.M)
            if m:
                fm.lines[key] = line_of(text, m.start())
        if isinstance(meta.get("talkbook"), dict):
            m = re.search(r'^\s*"talkbook"\s*:', text, re.M)
            for sub in meta["talkbook"]:
                sm = re.search(rf'^\s*"{re.escape(sub)}"\s*:', text[m.end() :] if m else text, re.M)
                fm.lines[f"talkbook.{sub}"] = (
                    line_of(text, (m.end() if m else 0) + sm.start())
                    if sm
                    else fm.lines.get("talkbook", 1)
                )
        md_cells, code_cells = notebook_markdown(nb, text)
        # one markdown text with each cell at its JSON line, so regex hits keep a useful line
        total = text.count("\n") + 1
        lines = [""] * total
        for start, src in md_cells:
            for i, src_line in enumerate(src.split("\n")):
                if start - 1 + i < total:
                    lines[start - 1 + i] = (lines[start - 1 + i] + " " + src_line).strip()
        scan = scan_markdown("\n".join(lines), 1)
        page = Page(path, shown, fm, scan, True)
        self.check_kernelspec(page)
        if not md_cells and not code_cells:
            self.add(
                path, 1, "notebook has no cells", "add content, or remove it and its _toc.yml entry"
            )
        elif not HEADING_RE.search(scan.markdown):
            self.add(path, 1, "notebook has no title", "start it with a markdown cell `# Title`")
        return page

    def check_kernelspec(self, page: Page) -> None:
        if not page.notebook:
            return
        if page.path.suffix == ".md" and not is_myst_notebook(page.fm.data):
            cell = (
                next((d for d in page.scan.directives if d.name == "code-cell"), None)
                if page.scan
                else None
            )
            self.add(
                page.path,
                cell.line if cell else 1,
                "code-cell directives, but the page is not a MyST notebook (no jupytext "
                "header), so they never run",
                "add `jupytext: {text_representation: {extension: .md, format_name: myst}}` "
                "to the front matter",
            )
        ks = page.fm.data.get("kernelspec")
        line = page.fm.lines.get("kernelspec", page.fm.start or 1)
        if not isinstance(ks, dict) or not ks.get("name"):
            where = "the notebook metadata" if page.path.suffix == ".ipynb" else "the front matter"
            self.add(
                page.path,
                line,
                "notebook has no kernelspec" if ks is None else "kernelspec has no `name`",
                "add `kernelspec: {name: python3, display_name: Python 3, language: python}` "
                f"to {where}",
            )

    def check_front_matter(self, page: Page) -> None:
        if self.catalog is None or not page.fm_ok:
            return
        rel = self.project.rel(page.path)
        notes = self.project.rel(self.project.notes_dir).rstrip("/") + "/"
        if rel.startswith(notes) or "talkbook" in page.fm.data:
            self.problems += validate_front_matter(page.fm, page.shown, self.catalog, self.specs)

    def check_talks(self, page: Page) -> None:
        if page.scan is None:
            return
        text = page.scan.markdown
        carded: dict[str, int] = {}
        for m in re.finditer(r"\{talk\}(?P<ticks>`+)(?P<body>.+?)(?P=ticks)", text):
            body = m["body"]
            e = EXPLICIT_RE.match(body)
            self.check_talk_id(
                (e["id"] if e else body).strip(), page.path, line_of(text, m.start())
            )
        for d in page.scan.directives:
            if d.name != "talk-card":
                continue
            if not d.arg:
                self.add(
                    page.path, d.line, "talk-card has no talk id", "write ```{talk-card} <talk-id>"
                )
                continue
            self.check_talk_id(d.arg, page.path, d.line)
            carded.setdefault(d.arg, d.line)
        meta = page.fm.talkbook
        if not meta or self.catalog is None:
            return
        declared = (
            [str(t) for t in meta.get("talks") or []] if isinstance(meta.get("talks"), list) else []
        )
        line = page.fm.lines.get("talkbook.talks", page.fm.lines.get("talkbook", 1))
        for talk_id, card_line in carded.items():
            if talk_id not in declared and self.catalog.has_talk(talk_id):
                self.add(
                    page.path,
                    card_line,
                    f"talk-card {talk_id!r} is not listed in front matter `talks`",
                    "add it to `talks:`",
                )
        for talk_id in declared:
            if talk_id not in carded and self.catalog.has_talk(talk_id):
                self.add(
                    page.path,
                    line,
                    f"front matter lists talk {talk_id!r} but the page has no talk-card for it",
                    "add a ```{talk-card} section, or remove the id",
                )

    def check_talk_id(self, talk_id: str, path: Path, line: int) -> None:
        if self.catalog is None or self.catalog.has_talk(talk_id):
            return
        close = self.catalog.closest_talks(talk_id)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        self.add(
            path, line, f"unknown talk id {talk_id!r}", f"{hint}ids are listed in data/talks.csv"
        )

    def check_images(self, page: Page) -> None:
        if page.scan is None:
            return
        md, html = page.scan.markdown, page.scan.html
        for m in MD_IMAGE_RE.finditer(md):
            self.check_image(
                page.path, line_of(md, m.start()), m["src"].strip("<>"), m["alt"].strip()
            )
        for m in TAG_RE.finditer(html):
            if m["name"].lower() != "img":
                continue
            attrs = parse_attrs(m["attrs"])
            self.check_image(
                page.path,
                line_of(html, m.start()),
                attrs.get("src", ""),
                (attrs.get("alt") or "").strip(),
                html=True,
            )
        for d in page.scan.directives:
            if d.name in ("image", "figure"):
                alt = d.options.get("alt", ("", 0))[0].strip()
                self.check_image(page.path, d.line, d.arg.strip(), alt, directive=d.name)

    def check_image(
        self, path: Path, line: int, src: str, alt: str, *, html: bool = False, directive: str = ""
    ) -> None:
        how = f"{{{directive}}} directive" if directive else ("<img>" if html else "![alt](src)")
        if not src:
            self.add(path, line, f"image has no source ({how})", "give the image file's path")
            return
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("//"):
            if re.match(r"^(https?:)?//", src, re.I):
                self.add(
                    path,
                    line,
                    f"hot-linked external image {src!r}",
                    "save the image under book/ (if its license allows) and use a relative "
                    "path, or link to it instead",
                )
            elif not src.lower().startswith("data:"):
                self.add(
                    path,
                    line,
                    f"image source {src!r} is not a file in the repository",
                    "use a relative path to a file under book/",
                )
            return
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
            self.add(path, line, f"image {src!r} has no alt text", fix)
        clean = src.split("#")[0].split("?")[0]
        target = (
            (self.project.root / clean.lstrip("/"))
            if clean.startswith("/")
            else (path.parent / clean)
        )
        target = Path(os.path.normpath(target))
        if not self.project.inside(target):
            self.add(
                path,
                line,
                f"image path {src!r} points outside the repository",
                "copy the image into the book and use a path inside it",
            )
            return
        exists = any(target.parent.glob(target.name)) if "*" in target.name else target.is_file()
        if not exists:
            self.add(
                path,
                line,
                f"image not found: {src!r}",
                f"add the file {display_path(target)} or fix the path (relative to the page)",
            )

    def check_html(self, page: Page) -> None:
        if page.scan is None:
            return
        html = page.scan.html
        for m in SCRIPT_RE.finditer(html):
            self.add(
                page.path,
                line_of(html, m.start()),
                "raw HTML <script> is not allowed",
                "remove it; interactive content belongs in a demo notebook or the kit's "
                "static files",
            )
        for m in JS_URL_RE.finditer(html):
            self.add(
                page.path,
                line_of(html, m.start()),
                "javascript: URL is not allowed",
                "link to an http(s) page instead",
            )
        for m in TAG_RE.finditer(html):
            for name in parse_attrs(m["attrs"]):
                if re.fullmatch(r"on[a-z]+", name.lower()):
                    self.add(
                        page.path,
                        line_of(html, m.start()),
                        f"event handler attribute {name}= in raw HTML is not allowed",
                        "remove it; pages may not run scripts",
                    )

    def check_labels(self, pages: Iterable[Page]) -> None:
        seen: dict[str, tuple[str, int]] = {}
        for page in pages:
            if page.scan is None:
                continue
            for m in LABEL_RE.finditer(page.scan.markdown):
                label = m["label"].lower()
                line = line_of(page.scan.markdown, m.start())
                if label in seen:
                    first = seen[label]
                    self.add(
                        page.path,
                        line,
                        f"duplicate label {m['label']!r}",
                        f"first defined at {first[0]}:{first[1]}; labels must be unique "
                        "across the book",
                    )
                else:
                    seen[label] = (page.shown, line)

    # -- toc

    def check_toc(self, page_paths: list[Path]) -> list[str]:
        """Check the toc; return its docnames in book order."""
        path = self.project.toc_path
        shown = self.shown(path)
        if not path.is_file():
            self.add(shown, 0, "the book has no _toc.yml", "create it; every page must be listed")
            return []
        text = self.read_text(path, self.settings.max_page_bytes)
        if text is None:
            return []
        toc, problems = toc_mod.parse(text, shown)
        self.problems += problems
        if problems:
            return []
        seen: dict[str, int] = {}
        for entry in toc.files:
            doc = toc_mod.strip_suffix(entry.value)
            if doc in seen:
                self.add(
                    shown,
                    entry.line,
                    f"{entry.value!r} is listed twice (first on line {seen[doc]})",
                    "keep one entry",
                )
            seen.setdefault(doc, entry.line)
            target = toc_mod.resolve(self.project.root, entry.value)
            if target is None:
                self.add(
                    shown,
                    entry.line,
                    f"toc entry {entry.value!r} has no file",
                    f"create {doc}.md, or fix/remove the entry",
                )
            elif not self.project.inside(target):
                self.add(
                    shown,
                    entry.line,
                    f"toc entry {entry.value!r} points outside the repository",
                    "list pages under book/",
                )
        for entry in toc.globs():
            pattern = toc_mod.strip_suffix(entry.value)
            if not any(
                fnmatch.fnmatchcase(self.project.rel(p).rsplit(".", 1)[0], pattern)
                for p in page_paths
            ):
                self.add(
                    shown,
                    entry.line,
                    f"toc glob {entry.value!r} matches no page",
                    "fix the pattern or remove it",
                )
        for page in page_paths:
            doc = self.project.rel(page).rsplit(".", 1)[0]
            if not toc.covers(doc):
                self.add(
                    page,
                    1,
                    "page is not in _toc.yml",
                    f"add `- file: {doc}` to _toc.yml (pages outside the toc are not built), "
                    "or delete the page",
                )
        return [toc_mod.strip_suffix(e.value) for e in toc.files]

    # -- everything

    def run(self) -> None:
        self.check_catalog()
        for name in ("_config.yml",):
            path = self.project.root / name
            if path.is_file():
                text = self.read_text(path, self.settings.max_page_bytes)
                if text is not None:
                    try:
                        yaml.safe_load(text)
                    except yaml.YAMLError as err:
                        mark = getattr(err, "problem_mark", None)
                        self.add(
                            path,
                            mark.line + 1 if mark else 1,
                            f"malformed YAML: {getattr(err, 'problem', None) or err}",
                            "check indentation and quoting",
                        )
        page_paths = self.project.pages()
        toc_order = self.check_toc(page_paths)
        self.check_other_files()
        for path in page_paths:
            page = self.load_page(path)
            if page is None:
                continue
            self.pages.append(page)
            self.check_front_matter(page)
            self.check_talks(page)
            self.check_images(page)
            self.check_html(page)
        # the first definition of a label is the one earlier in the book (toc order)
        rank = {doc: i for i, doc in enumerate(toc_order)}
        self.check_labels(
            sorted(
                self.pages,
                key=lambda p: rank.get(self.project.rel(p.path).rsplit(".", 1)[0], len(rank)),
            )
        )


def is_myst_notebook(data: dict[str, Any]) -> bool:
    """What myst-nb requires to read a .md page as a notebook (see is_myst_markdown_notebook)."""
    if data.get("file_format") == "mystnb":
        return True
    jupytext = data.get("jupytext")
    rep = jupytext.get("text_representation") if isinstance(jupytext, dict) else None
    return isinstance(rep, dict) and rep.get("format_name") == "myst"


def parse_attrs(attrs: str) -> dict[str, str]:
    out = {}
    for m in ATTR_RE.finditer(attrs):
        value = (
            m["dq"] if m["dq"] is not None else m["sq"] if m["sq"] is not None else m["bare"] or ""
        )
        out.setdefault(m["name"].lower(), value)
    return out


def line_key(problem: Problem) -> tuple:
    return (problem.path, problem.line, problem.column, problem.message)


def run(project: Project, paths: Iterable[Path] = (), settings: Settings | None = None) -> Report:
    """Check the repository; with ``paths``, report only problems in those files/folders
    (and in the catalog, which every page depends on)."""
    start = time.perf_counter()
    checker = Checker(project, settings)
    checker.run()
    problems = checker.problems
    selected = [Path(p).resolve() for p in paths]
    if selected and project.root not in selected:
        data = project.data_dir.resolve()

        def wanted(problem: Problem) -> bool:
            where = Path(problem.path).resolve()
            if where == data or data in where.parents:
                return True
            return any(where == s or s in where.parents for s in selected)

        problems = [p for p in problems if wanted(p)]
    seen, unique = set(), []
    for p in problems:
        if line_key(p) not in seen:
            seen.add(line_key(p))
            unique.append(p)
    talks = len(checker.catalog.talk_ids) if checker.catalog is not None else 0
    return Report(unique, checker.notes, len(checker.pages), talks, time.perf_counter() - start)


def coverage(project: Project, catalog: Catalog) -> dict[str, list[str]]:
    """Talk id -> pages whose front matter ``talks`` lists it."""
    covered: dict[str, list[str]] = {t: [] for t in catalog.talk_ids}
    for path in project.pages():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        fm, problems = parse_front_matter(text, str(path))
        talks = fm.talkbook.get("talks") if not problems else None
        for talk_id in talks if isinstance(talks, list) else []:
            if str(talk_id) in covered:
                covered[str(talk_id)].append(project.rel(path))
    return covered
