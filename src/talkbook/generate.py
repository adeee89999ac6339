"""Generated pages are documents: one MyST source per talk, conference and tag (and the tag
index), written from the catalog before Sphinx looks for documents.

The sources hold ids and directives only, never catalog text, so a stranger's CSV cell
cannot inject markup; the directives leave placeholders that draw the rows when the page
is written (the title when it is read). Sphinx then treats them like any note: search
index, toctree, previous/next, sharing tags, sitemap.

- A source is written only when its text changes, so an incremental build reads again just
  the pages of rows added or removed (edits of a row reach the pages that show it through
  the shown keys and read dependencies in :mod:`talkbook.domain`).
- Each file starts with a marker; a file without it at a generated page's path is the
  book's own, and the build stops naming both rather than overwrite it.
- Each folder gets a ``.gitignore`` listing exactly the generated files.
- The templates (``talkbook/generated-<kind>.md``) can be overridden through the book's
  ``templates_path``, like any Sphinx template.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

from . import config as tb_config
from .catalog import Catalog, CatalogError, cached_catalog
from .domain import groups
from .files import write_atomic, write_if_changed
from .i18n import _

MARKER = "talkbook: generated from the talk catalog; edit the catalog, not this file"
SUFFIXES = (".md", ".ipynb", ".rst", ".txt")
KIT_TEMPLATES = Path(__file__).parent / "templates"


def myst_escape(text: str) -> str:
    """Text that MyST reads back as the same plain text (every ASCII punctuation escaped)."""
    text = " ".join(str(text).split())
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def templates(app: Sphinx) -> jinja2.Environment:
    """The book's template folders first, then the kit's."""
    paths = [str(Path(app.confdir) / p) for p in app.config.templates_path] + [str(KIT_TEMPLATES)]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        autoescape=False,  # Markdown, not HTML: values are ids or escaped with |myst
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["myst"] = myst_escape
    env.globals["_"] = _
    return env


def sources(app: Sphinx, cat: Catalog) -> dict[str, str]:
    """Path (relative to the source folder) -> text of every generated page."""
    cfg = tb_config.read(app.config)
    env = templates(app)
    out: dict[str, str] = {}

    def add(folder: str, name: str, template: str, **ctx: Any) -> None:
        text = env.get_template(f"talkbook/generated-{template}.md").render(marker=MARKER, **ctx)
        out[f"{folder}/{name}.md"] = text

    related = groups(cat)["related"]
    for talk in cat.rows("talks"):
        add(cfg.talks_path, talk["id"], "talk", id=talk["id"], related=bool(related[talk["id"]]))
    for conf in cat.rows("conferences"):
        add(cfg.conferences_path, conf["id"], "conference", id=conf["id"])
    for tag in cat.rows("tags"):
        add(cfg.tags_path, tag["id"], "tag", id=tag["id"])
    add(cfg.tags_path, "index", "tags")
    if cat.people():
        add(cfg.speakers_path, "index", "speakers")
    for slug in cat.people():
        add(cfg.speakers_path, slug, "speaker", id=slug)
    return out


def is_generated(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as fh:
            return MARKER in fh.read(300)
    except (OSError, UnicodeDecodeError):
        return False


def write_sources(app: Sphinx, config: Config) -> None:
    """config-inited (after sphinx-external-toc): bring the generated sources up to date."""
    cfg = tb_config.read(config)
    srcdir = Path(app.srcdir)
    try:
        cat = cached_catalog(tb_config.data_dir(app))
    except CatalogError as err:
        raise ExtensionError(str(err)) from None
    wanted = sources(app, cat) if cat is not None else {}
    for rel, text in wanted.items():
        path = srcdir / rel
        stem = path.with_suffix("")
        for suffix in SUFFIXES:
            other = stem.with_suffix(suffix)
            if other.exists() and not (other == path and is_generated(other)):
                raise ExtensionError(
                    f"{other.relative_to(srcdir)}: clashes with the page talkbook generates "
                    f"at {rel} from the catalog (rename the file, or choose another folder "
                    f"with talkbook_{Path(rel).parts[0].rstrip('s')}s_path)"
                )
        write_if_changed(path, text.encode("utf-8"))
    for folder in cfg.generated_folders.values():
        here = srcdir / folder
        if not here.is_dir():
            continue
        for path in here.glob("*.md"):
            rel = path.relative_to(srcdir).as_posix()
            if rel not in wanted and is_generated(path):
                path.unlink()  # a row removed from the catalog
        names = sorted(p.name for p in here.glob("*.md") if is_generated(p))
        ignore = here / ".gitignore"
        listing = "# written by talkbook: generated pages\n.gitignore\n" + "".join(
            f"/{n}\n" for n in names
        )
        if names and (not ignore.is_file() or ignore.read_text(encoding="utf-8") != listing):
            write_atomic(ignore, listing.encode("utf-8"))
        elif (
            not names
            and ignore.is_file()
            and ignore.read_text(encoding="utf-8").startswith("# written by talkbook")
        ):
            ignore.unlink()
    # sphinx-external-toc (only_build_toc_files) excludes files missing from _toc.yml; the
    # generated pages hang in the tree through the catalog page's hidden toctrees instead
    generated = set(wanted)
    config["exclude_patterns"] = [p for p in config.exclude_patterns if p not in generated]
