"""``talkbook init``: a new, empty knowledge base that builds strictly and passes the checks.

The files come from ``scaffold/`` next to this module: ``common/`` for every language, then
``<language>/`` (the prose: README, home page, catalog page, example note, toc captions).
Files ending in ``.jinja`` are rendered (the suffix dropped); others are copied as they are.
A leading ``dot-`` in a path part becomes ``.`` (``dot-github`` -> ``.github``), because
package data globs skip hidden files. ``<language>.yml`` holds the language's defaults
(title, author, date format), so no reader-facing text lives in this module.

The catalog is empty: ``data/schema.yaml`` is the kit's default schema and each CSV holds
only the header row the schema gives.

Writing is all-or-nothing: the whole tree is written into a hidden temporary folder first and
only then renamed into place (see :func:`create`); any error or Ctrl+C removes what was
written, so the target is either absent (or still empty) or complete.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import yaml

from . import __version__
from .catalog import TABLES, load_schema

SCAFFOLD = Path(__file__).parent / "scaffold"
DEFAULT_SCHEMA_DIR = Path(__file__).parent / "data"
LANGUAGES = ("ko", "en")
DATA_DIR = "data"  # the catalog's folder in the new book (talkbook_data_dir)
SKIP = {"__pycache__", ".pytest_cache"}  # left by running the scaffold's own test in place
# what may appear in the Makefile's TALKBOOK_SPEC line: a pip requirement, URL or path
SPEC_RE = re.compile(r"^[A-Za-z0-9._/@:=<>!~+,\[\]-]+$")


class InitError(Exception):
    """The book cannot be created (bad option or target); nothing was written."""


@dataclass(frozen=True)
class Options:
    """What ``talkbook init`` was asked for (None: the language's default)."""

    language: str = "en"
    title: str | None = None
    author: str | None = None
    repository_url: str | None = None
    talkbook_spec: str | None = None


def _yaml_str(value: object) -> str:
    """A double-quoted YAML scalar (JSON strings are YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(SCAFFOLD),
        autoescape=False,  # noqa: S701  (markdown, YAML and Makefiles, not HTML)
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yaml_str"] = _yaml_str
    return env


def _one_line(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise InitError(f"{name} is empty (give some text, or leave the option out)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InitError(f"{name} {value!r} has a line break or control character (use one line)")
    if len(value) > 200:
        raise InitError(f"{name} is {len(value)} characters long (keep it under 200)")
    return value


def _repository(url: str) -> tuple[str, str]:
    """The repository URL, cleaned, and the GitHub Pages address it implies ('' if none)."""
    url = url.strip().removesuffix("/").removesuffix(".git")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not SPEC_RE.match(url):
        raise InitError(
            f"--repository-url {url!r} is not an http(s) URL (e.g. https://github.com/you/notes)"
        )
    path = [p for p in parts.path.split("/") if p]
    if parts.netloc.lower() != "github.com":
        return url, ""
    if len(path) != 2:
        raise InitError(
            f"--repository-url {url!r}: give the repository itself, https://github.com/<owner>/<name>"
        )
    owner, repo = path[0].lower(), path[1]
    if repo.lower() == f"{owner}.github.io":
        return url, f"https://{owner}.github.io/"
    return url, f"https://{owner}.github.io/{repo}/"


def _context(options: Options) -> dict[str, object]:
    if options.language not in LANGUAGES:
        raise InitError(
            f"--language {options.language!r} is not supported (choose {', '.join(LANGUAGES)})"
        )
    defaults = yaml.safe_load((SCAFFOLD / f"{options.language}.yml").read_text(encoding="utf-8"))
    title = _one_line("--title", options.title if options.title is not None else defaults["title"])
    author = _one_line(
        "--author",
        options.author if options.author is not None else defaults["author"].format(title=title),
    )
    repository_url, baseurl = (
        _repository(options.repository_url) if options.repository_url else ("", "")
    )
    spec = (options.talkbook_spec or f"talkbook=={__version__}").strip()
    if not SPEC_RE.match(spec):
        raise InitError(
            f"--talkbook-spec {spec!r} must be one pip requirement, URL or path without spaces, "
            "quotes, '$' or '#' (e.g. talkbook==0.1.0 or ../talkbook)"
        )
    return {
        "language": options.language,
        "title": title,
        "author": author,
        "repository_url": repository_url,
        "baseurl": baseurl,
        "talkbook_spec": spec,
        "year": dt.date.today().year,
        "date_format": defaults["date_format"],
        "data_dir": DATA_DIR,
    }


def _target_name(relative: Path) -> str:
    parts = [("." + p[len("dot-") :]) if p.startswith("dot-") else p for p in relative.parts]
    name = "/".join(parts)
    return name.removesuffix(".jinja")


def plan(options: Options) -> dict[str, bytes]:
    """Every file of the new book: relative POSIX path -> content."""
    context = _context(options)
    env = _environment()
    files: dict[str, bytes] = {}
    for layer in ("common", options.language):
        base = SCAFFOLD / layer
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            relative = path.relative_to(base)
            if SKIP & set(relative.parts) or path.suffix == ".pyc":
                continue
            if path.suffix == ".jinja":
                text = env.get_template(f"{layer}/{relative.as_posix()}").render(**context)
                files[_target_name(relative)] = text.encode("utf-8")
            else:
                files[_target_name(relative)] = path.read_bytes()
    # the catalog: the kit's default schema and a header row per table
    schema_text = (DEFAULT_SCHEMA_DIR / "schema.yaml").read_bytes()
    files[f"{DATA_DIR}/schema.yaml"] = schema_text
    for key, table in load_schema(DEFAULT_SCHEMA_DIR).items():
        if key in TABLES:
            files[f"{DATA_DIR}/{table.file}"] = (",".join(table.names) + "\n").encode("utf-8")
    return files


def write_file(path: Path, data: bytes) -> None:
    """Write one file of the new book (inside the temporary folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(target: Path) -> None:
    """Refuse a target that is a file or a folder with anything in it."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InitError(f"{target} exists and is not a folder; choose a new folder name")
    if target.is_dir() and any(target.iterdir()):
        raise InitError(
            f"{target} is not empty; `talkbook init` only writes into a new or empty folder "
            "(choose another folder, or empty this one) — nothing was written"
        )


def move(source: Path, dest: Path) -> None:
    """Move one finished entry into place (a rename: same file system, one step)."""
    os.rename(source, dest)


def _write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        write_file(folder / name, data)


def create(target: Path, options: Options) -> list[str]:
    """Create the book in ``target`` (absent or empty), all or nothing; return its files.

    A new folder is written as a hidden temporary folder beside it and renamed into place in
    one step. An existing empty folder is kept (it may be the shell's current folder or a
    mount point): the tree is written into a hidden temporary folder inside it, and its
    top-level entries are then renamed into place; if any step fails they are taken out again.
    """
    target = Path(os.path.abspath(target))
    files = plan(options)  # options are validated before anything touches the disk
    check_target(target)
    try:
        if target.is_dir():
            _fill_empty(target, files)
        else:
            _create_new(target, files)
    except OSError as err:
        raise InitError(f"cannot create {target}: {err} — nothing was written") from err
    return sorted(files)


def _create_new(target: Path, files: dict[str, bytes]) -> None:
    created_parents = [p for p in target.parents if not p.exists()]
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        _write_tree(tmp, files)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a book folder is not
        check_target(target)  # again, just before the rename: someone may have written there
        # rename(2) moves the whole tree in one step, replacing the target only if it is an
        # empty folder; a target that became non-empty makes it fail (ENOTEMPTY)
        move(tmp, target)
        tmp = None
    finally:
        if tmp is not None:  # failed or interrupted: remove what this call made
            shutil.rmtree(tmp, ignore_errors=True)
            for parent in created_parents:  # innermost first
                try:
                    parent.rmdir()
                except OSError:
                    break


def _fill_empty(target: Path, files: dict[str, bytes]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".talkbook-init.", suffix=".tmp", dir=target))
    moved: list[Path] = []
    done = False
    try:
        _write_tree(tmp, files)
        entries = sorted(os.listdir(tmp))
        others = [e for e in os.listdir(target) if e != tmp.name]
        if others:  # someone wrote there meanwhile
            raise InitError(f"{target} is no longer empty ({others[0]}) — nothing was written")
        for entry in entries:
            dest = target / entry
            if dest.exists() or dest.is_symlink():
                raise InitError(f"{dest} appeared while writing — nothing was written")
            move(tmp / entry, dest)
            moved.append(dest)
        done = True
    finally:
        if not done:  # failed or interrupted: take out what was moved in
            for dest in moved:
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest, ignore_errors=True)
                else:
                    dest.unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


def next_steps(shown: str, options: Options) -> str:
    """What to do after ``talkbook init``, as printed by the command."""
    out = io.StringIO()
    out.write(f"created {shown}: a talkbook knowledge base ({options.language})\n\nnext steps:\n")
    out.write(f"  cd {shlex.quote(shown)}\n")
    out.write('  git init && git add -A && git commit -m "New talkbook"\n')
    out.write(
        "  make serve     # installs the kit, builds strictly, serves http://127.0.0.1:8000\n"
    )
    out.write("  make test      # talkbook check + the strict build\n")
    out.write("  .venv/bin/talkbook add-conference --help   # then add-talk, then `talkbook new`\n")
    if not options.repository_url:
        out.write("  set repository.url in _config.yml once the book has a repository\n")
    return out.getvalue()
