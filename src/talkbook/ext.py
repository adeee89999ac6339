"""Sphinx extension ``talkbook.ext``: the talk catalog in a book.

Data flows one way: ``data/*.csv`` → validated catalog (:mod:`talkbook.catalog`, the schema
is the contract) → generated MyST sources (:mod:`talkbook.generate`) → documents read by
Sphinx with the role and directives of :mod:`talkbook.directives` → backlinks held in the
``talk`` domain (:mod:`talkbook.domain`) → HTML, search index, sitemap.

A book without a catalog (no ``data/``) builds as a plain book: no generated pages, no
menus, no warnings unless a page uses a talk role.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from . import __version__, domain, generate, render
from . import config as tb_config
from .catalog import CatalogError, cached_catalog, schema_path
from .check import RuleContext, build_source
from .directives import (
    BacklinksDirective,
    FieldsDirective,
    HiddenToctrees,
    PagesDirective,
    ResolvePlaceholders,
    SpeakerIndexDirective,
    SpeakerTalksDirective,
    StableSectionIds,
    TagIndexDirective,
    TalkCardDirective,
    TalkCatalogDirective,
    TalkRole,
    TalksDirective,
    TitleRole,
    TitleRowLinks,
    pending_toctree,
)
from .frontmatter import load_field_specs, parse_front_matter, quote_dates

logger = logging.getLogger(__name__)

INTERRUPTED = "talkbook-build-running"


# --------------------------------------------------------------------------- readable ids


def slugify(text: str) -> str:
    """A readable anchor for any script: lowercase, word characters and hyphens (any script kept)."""
    text = re.sub(r"[^\w\s-]", "", text.lower(), flags=re.UNICODE)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


class ReadableSectionIds(SphinxTransform):
    """Give sections with non-ASCII titles a readable id instead of docutils' ``id1``.

    Docutils drops Hangul when it makes ids, so every Korean heading would become ``#id3``
    and links would break whenever a heading is added above. The slug depends only on the
    heading text (deduplicated with -2, -3 within the page).
    """

    default_priority = 200  # after parsing, before the TOC and labels are collected

    def apply(self, **kwargs: Any) -> None:
        used = set(self.document.ids)
        for section in self.document.findall(nodes.section):
            ids = section["ids"]
            auto = [i for i in ids if re.fullmatch(r"id\d+", i)]
            if not auto or not section.children or not isinstance(section[0], nodes.title):
                continue
            base = slugify(section[0].astext())
            slug, n = base, 1
            while slug in used:
                n += 1
                slug = f"{base}-{n}"
            used.add(slug)
            old = auto[0]
            ids[ids.index(old)] = slug
            self.document.ids[slug] = section
            for ref in self.document.findall(nodes.reference):
                if ref.get("refid") == old:
                    ref["refid"] = slug


# --------------------------------------------------------------------------- events


def load_catalog(app: Sphinx, config: Config) -> None:
    """config-inited: validate the catalog (every problem at once) and add static files."""
    try:
        cached_catalog(tb_config.data_dir(app))
    except CatalogError as err:
        raise ExtensionError(str(err)) from None
    static = str(Path(__file__).parent / "static")
    if static not in config.html_static_path:
        config.html_static_path.append(static)


def declare_bundled_parallel_safe(app: Sphinx) -> None:
    """Let Sphinx read in parallel despite two Jupyter Book extensions that never say.

    Without a declaration Sphinx assumes an extension is unsafe and reads serially.
    - sphinx_multitoc_numbering (always loaded by sphinx-external-toc) only replaces the
      section numbering that runs in the main process after merging; with
      ``use_multitoc_numbering: false`` it does nothing at all.
    - sphinx_jupyterbook_latex's transforms return at once unless the builder is LaTeX.
    """
    multitoc = app.extensions.get("sphinx_multitoc_numbering")
    if multitoc is not None and not getattr(app.config, "use_multitoc_numbering", True):
        multitoc.parallel_read_safe = True
    latex = app.extensions.get("sphinx_jupyterbook_latex")
    if latex is not None and app.builder.format != "latex":
        latex.parallel_read_safe = True


def front_matter_keys(meta: Any, specs: list[dict[str, Any]]) -> list[str]:
    """ "+<kind>:<id>" for each id the front matter's reference fields name (existence only)."""
    if not isinstance(meta, dict):
        return []
    keys = []
    for spec in specs:
        kind = domain.CATALOG_KINDS.get(spec.get("ref", ""))
        value = meta.get(spec["name"])
        if kind is None or value in (None, "", []):
            continue
        for item in value if isinstance(value, list) else [value]:
            keys.append(f"+{kind}:{item}")
    return keys


def rule_context(app: Sphinx, dom: domain.TalkDomain) -> RuleContext:
    """The single validator's context (talkbook check builds the same), once per catalog."""
    cat = dom.catalog
    cached = dom.__dict__.get("_rule_context")
    if cached is not None and cached.catalog is cat:
        return cached
    cfg = tb_config.read(app.config)
    ctx = RuleContext(
        root=Path(app.srcdir),
        md_config=getattr(app.env, "myst_config", None) or RuleContext(root=Path()).md_config,
        catalog=cat,
        specs=load_field_specs(schema_path(tb_config.data_dir(app)).parent) if cat else [],
        notes_dir=cfg.notes_dir,
    )
    dom.__dict__["_rule_context"] = ctx
    return ctx


def check_source(app: Sphinx, docname: str, source: list[str]) -> None:
    """source-read: the rules a page must satisfy, as ``talkbook check`` runs them (one
    validator, same messages); the page's front matter goes into the domain."""
    if source[0].startswith("---\n# " + generate.MARKER):
        return
    dom: domain.TalkDomain = app.env.get_domain("talk")  # type: ignore[assignment]
    ctx = rule_context(app, dom)
    path = str(app.env.doc2path(docname, base=False)).replace("\\", "/")
    problems, text = build_source(path, source[0], ctx)
    for p in problems:
        logger.warning(
            f"{p.column + ': ' if p.column else ''}{p.message}{f' ({p.fix})' if p.fix else ''}",
            location=(docname, p.line or None),
            type="talkbook",
            subtype="note",
        )
    fm, _problems = parse_front_matter(text, path)
    meta = fm.talkbook
    if ctx.catalog is not None:
        # read the page again when a row it names appears or disappears
        dom.note_use(docname, *front_matter_keys(meta, ctx.specs))
    source[0] = quote_dates(text, fm)
    if meta:
        kind = str(meta.get("kind", ""))
        labels = next((s.get("labels", {}) for s in ctx.specs if s["name"] == "kind"), {})
        dom.data["pages"][docname] = {
            "kind": kind,
            "kind_label": str(labels.get(kind, "")),
            "conference": str(meta.get("conference", "") or ""),
            "day": meta.get("day"),
            "tags": [str(t) for t in meta.get("tags", []) or []],
            "talks": [str(t) for t in meta.get("talks", []) or []],
            "description": str(meta.get("description", "") or ""),
            "date": str(meta.get("date", "") or ""),
        }


def record_backlinks(app: Sphinx, doctree: nodes.document) -> None:
    """doctree-read: which sections cover and which paragraphs mention which talks."""
    env = app.env
    docname = env.docname
    dom: domain.TalkDomain = env.get_domain("talk")  # type: ignore[assignment]
    covers = []
    for card in doctree.findall(nodes.container):
        if "talk_id" not in card:
            continue
        section = card.parent
        while section is not None and not isinstance(section, nodes.section):
            section = section.parent
        if section is None:
            anchor, title = "", env.titles[docname].astext() if docname in env.titles else docname
        else:
            anchor, title = section["ids"][0], section[0].astext()
        card["ids"].append(f"talk-{card['talk_id']}")
        covers.append((card["talk_id"], anchor, title, card.line or 0))
    mentions = sorted(
        {n["talkbook_mention"] for n in doctree.findall(nodes.Element) if "talkbook_mention" in n}
    )
    dom.forget_index()
    dom.data["covers"][docname] = covers
    dom.data["mentions"][docname] = mentions
    title = doctree.next_node(nodes.title)
    page = dom.data["pages"].setdefault(docname, {"kind": "", "talks": [], "tags": []})
    page["title"] = title.astext() if title else docname


def describe_generated(app: Sphinx, doctree: nodes.document) -> None:
    """doctree-read: a generated page's description (sharing tags) is its row's summary."""
    cfg = tb_config.read(app.config)
    folder, _sep, ident = app.env.docname.partition("/")
    kinds = {v: k for k, v in cfg.generated_folders.items()}
    dom: domain.TalkDomain = app.env.get_domain("talk")  # type: ignore[assignment]
    cat = dom.catalog
    if folder not in kinds or cat is None:
        return
    table = {"talk": "talks", "conference": "conferences", "tag": "tags"}.get(kinds[folder])
    row = cat.rows_by_id(table).get(ident) if table else None
    page = dom.data["pages"].setdefault(app.env.docname, {"talks": [], "tags": []})
    page["kind"] = kinds[folder]
    summary = cat.schema[table].summary if table else ""
    if row is not None and summary:
        page["description"] = row.get(summary, "")


def mark_running(app: Sphinx) -> None:
    """builder-inited: a build that ends without build-finished (kill -9, Ctrl-C) leaves this
    mark, so the next build writes every page instead of trusting what the last one recorded."""
    mark = Path(app.doctreedir) / INTERRUPTED
    app.env.talkbook_interrupted = mark.exists()  # type: ignore[attr-defined]
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()


def rewrite_after_interruption(app: Sphinx, env: BuildEnvironment) -> list[str]:
    if getattr(env, "talkbook_interrupted", False):
        logger.info("talkbook: the last build was interrupted; writing every page again")
        return sorted(env.found_docs)
    return []


def clear_running(app: Sphinx, exception: Exception | None) -> None:
    if exception is None:
        (Path(app.doctreedir) / INTERRUPTED).unlink(missing_ok=True)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("talkbook.config")
    app.setup_extension("talkbook.i18n")
    app.setup_extension("talkbook.safety")  # a stranger's note or notebook cannot harm readers
    app.setup_extension("talkbook.etoc")  # sphinx-external-toc without its O(N^2) parts
    app.setup_extension("talkbook.gcpause")  # no collector passes while the env unpickles
    for node in (*render.PLACEHOLDERS, pending_toctree):
        app.add_node(node)
    app.add_domain(domain.TalkDomain)
    app.add_role("talk", TalkRole())
    app.add_role("talkbook-title", TitleRole())
    app.add_directive("talk-card", TalkCardDirective)
    app.add_directive("talk-catalog", TalkCatalogDirective)
    app.add_directive("talkbook-fields", FieldsDirective)
    app.add_directive("talkbook-talks", TalksDirective)
    app.add_directive("talkbook-backlinks", BacklinksDirective)
    app.add_directive("talkbook-pages", PagesDirective)
    app.add_directive("talkbook-tag-index", TagIndexDirective)
    app.add_directive("talkbook-speaker-index", SpeakerIndexDirective)
    app.add_directive("talkbook-speaker-talks", SpeakerTalksDirective)
    app.add_transform(StableSectionIds)
    app.add_transform(ReadableSectionIds)
    app.add_transform(HiddenToctrees)
    app.add_transform(TitleRowLinks)
    app.add_post_transform(ResolvePlaceholders)
    app.connect("config-inited", load_catalog, priority=400)
    app.connect("config-inited", generate.write_sources, priority=950)  # after external-toc
    app.connect("builder-inited", declare_bundled_parallel_safe)
    app.connect("builder-inited", mark_running)
    app.connect("source-read", check_source)
    app.connect("doctree-read", record_backlinks)
    app.connect("doctree-read", describe_generated)
    app.connect("env-get-outdated", domain.outdated_by_catalog)
    app.connect("env-get-updated", domain.updated_backlinks)
    app.connect("env-get-updated", rewrite_after_interruption)
    app.connect("env-before-read-docs", domain.note_read_docs, priority=900)  # the final list
    app.connect("write-started", domain.parents_of_read_docs)
    app.connect("doctree-resolved", domain.restore_parents, priority=0)
    app.connect("build-finished", domain.restore_parents, priority=0)
    app.connect("build-finished", clear_running)
    app.add_css_file("talkbook.css")
    app.add_js_file("talkbook.js", defer="defer")
    return {
        "version": __version__,
        "env_version": 5,  # 5: catalog rows drawn at write time (shown keys, read keys)
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
