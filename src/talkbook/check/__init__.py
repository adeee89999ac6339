"""``talkbook check``: validation of the book sources without building the book.

Pages are read with the parser the build uses (markdown-it-py configured by myst-parser,
:mod:`talkbook.check.myst`), the toc with sphinx-external-toc's parser
(:mod:`talkbook.check.toc`), so check and build agree on what is wrong. The rules live in
:mod:`talkbook.check.rules`, one function each; the build runs the page-local ones through
:func:`note_problems`. Problems come back as :class:`talkbook.catalog.Problem` and print as
``path:line: problem (fix)``.

What is checked:

- the talk catalog (``data/*.csv``), with :func:`talkbook.catalog.collect`;
- files: UTF-8, size limits;
- pages (:data:`rules.PAGE_RULES`): front matter YAML (no aliases, no date-times) and
  schema, placeholders left from the template, empty pages, title and heading levels, talk
  ids in ``{talk}`` roles and ``talk-card`` directives against the front matter, notebooks'
  kernelspec, images, raw HTML (no scripts), include paths;
- across pages (:func:`rules.project_problems`): ``{doc}``/``{ref}``/``{term}`` targets,
  markdown links to pages and anchors, duplicate labels;
- the toc: sphinx-external-toc's own validation, every entry has a file, every page is
  listed, no page twice.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import toc as toc_mod
from ..catalog import Catalog, Problem, collect, display_path
from ..files import PAGE_SUFFIXES, Project
from ..frontmatter import load_field_specs, parse_front_matter
from . import myst, rules
from .rules import (
    BUILD_ENFORCED,
    Page,
    ProjectIndex,
    RuleContext,
    build_source,
    is_myst_notebook,
    note_problems,
)
from .toc import external_toc

__all__ = [
    "BUILD_ENFORCED",
    "Checker",
    "ProjectIndex",
    "Report",
    "RuleContext",
    "Settings",
    "UNREADABLE",
    "build_source",
    "coverage",
    "is_myst_notebook",
    "note_problems",
    "run",
]

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
# Problems that mean a catalog file could not be read at all (its ids are unknown).
UNREADABLE = (
    "file not found",
    "not UTF-8",
    "empty file",
    "missing column",
    "unknown column",
    "cells, expected",
)


@dataclass
class Settings:
    max_page_bytes: int = MAX_PAGE_BYTES
    max_file_bytes: int = MAX_FILE_BYTES


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


class Checker:
    def __init__(self, project: Project, settings: Settings | None = None):
        self.project = project
        self.settings = settings or Settings()
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.catalog: Catalog | None = None
        self.pages: list[Page] = []
        self.ctx = RuleContext(
            root=project.root,
            md_config=myst.md_config(project.root),
            notes_dir=project.rel(project.notes_dir),
        )

    def add(
        self, path: Path | str, line: int, message: str, fix: str = "", column: str = ""
    ) -> None:
        shown = path if isinstance(path, str) else display_path(path)
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
        self.ctx.catalog = self.catalog
        self.ctx.specs = load_field_specs(data)

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
        page, problems = rules.load_page(self.project.rel(path), text, self.ctx)
        # messages name the file as the user sees it (relative to the working directory)
        page.path = display_path(path)
        self.problems += [_shown(p, page.path) for p in problems]
        return page

    # -- toc

    def check_toc(self, page_paths: list[Path]) -> list[str]:
        """Check the toc; return its docnames in book order."""
        path = self.project.toc_path
        shown = display_path(path)
        if not path.is_file():
            self.add(shown, 0, "the book has no _toc.yml", "create it; every page must be listed")
            return []
        text = self.read_text(path, self.settings.max_page_bytes)
        if text is None:
            return []
        toc, problems = toc_mod.parse(text, shown)
        if not problems:
            _, problems = external_toc(text, shown)
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
        docs = [self.project.rel(p).rsplit(".", 1)[0] for p in page_paths]
        for entry in toc.globs():
            pattern = toc_mod.strip_suffix(entry.value)
            if not any(fnmatch.fnmatchcase(doc, pattern) for doc in docs):
                self.add(
                    shown,
                    entry.line,
                    f"toc glob {entry.value!r} matches no page",
                    "fix the pattern or remove it",
                )
        for page, doc in zip(page_paths, docs, strict=True):
            if not toc.covers(doc):
                self.add(
                    page,
                    1,
                    "page is not in _toc.yml",
                    f"add `- file: {doc}` to _toc.yml (pages outside the toc are not built), "
                    "or delete the page",
                )
        listed = [toc_mod.strip_suffix(e.value) for e in toc.files]
        return listed + [d for d in docs if d not in seen and toc.covers(d)]

    # -- everything

    def check_config(self) -> None:
        path = self.project.root / "_config.yml"
        if not path.is_file():
            return
        text = self.read_text(path, self.settings.max_page_bytes)
        if text is None:
            return
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

    def run(self) -> None:
        self.check_catalog()
        self.check_config()
        page_paths = self.project.pages()
        toc_order = self.check_toc(page_paths)
        self.check_other_files()
        for path in page_paths:
            try:
                page = self.load_page(path)
                if page is None:
                    continue
                self.problems += rules.page_problems(page, self.ctx)
            except Exception as err:  # noqa: BLE001  (one odd page must not stop the check)
                self.add(
                    path,
                    1,
                    f"the page could not be checked ({type(err).__name__}: {err})",
                    "this is a talkbook bug; please report it with the page",
                )
                continue
            self.pages.append(page)
        # cross-document rules; the first definition of a label is the earlier one in the book
        rank = {doc: i for i, doc in enumerate(toc_order)}
        ordered = sorted(self.pages, key=lambda p: rank.get(p.docname, len(rank)))
        built = [p for p in ordered if p.docname in rank]
        index = rules.index_pages(built, toc_order)
        self.ctx.index = index
        if toc_order:  # without the toc's docnames every cross-reference would look broken
            try:
                self.problems += rules.project_problems(ordered, index, self.ctx)
            except Exception as err:  # noqa: BLE001
                self.add(
                    self.project.toc_path,
                    1,
                    f"links between pages could not be checked ({type(err).__name__}: {err})",
                    "this is a talkbook bug; please report it",
                )


def _shown(problem: Problem, shown: str) -> Problem:
    return Problem(shown, problem.line, problem.column, problem.message, problem.fix)


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
