"""Sphinx extension ``talkbook.assets``: what a page downloads, kept small.

* Icons: pydata-sphinx-theme loads FontAwesome's whole SVG script (1.5 MB) on every page
  although its stylesheet already draws each ``<i class="fa-...">`` from FontAwesome's web
  fonts. A template override (``assets_templates/static/webpack-macros.html``, found before
  the theme's file on ``templates_path``) leaves the script out, and after the build the
  fonts copied to ``_static`` are trimmed (fontTools) to the glyphs the site uses: the icon
  classes found in the written pages and the theme's own ``--pst-icon-*`` glyphs.
* The colour mode defaults to ``auto`` (the reader's system setting) unless the book
  sets ``html_context.default_mode``.
* Scripts added twice with the same content (sphinx-thebe's inline configuration is, which
  made every page log "Identifier 'THEBE_JS_URL' has already been declared") are kept once.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from . import __version__
from .files import write_atomic

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "assets_templates"
FONT_DIR = "_static/vendor/fontawesome/webfonts"
THEME_CSS = "_static/styles/pydata-sphinx-theme.css"
# FontAwesome's class rules in the theme's CSS: ".fa-bars:before,.fa-navicon:before{content:"\f0c9"}"
CLASS_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:{1,2}before,?)+)\{content:"([^"]+)"\}')
ICON_VAR = re.compile(r'--pst-icon-[a-z0-9-]+:"([^"]+)"')
USED_CLASS = re.compile(rb"\bfa-[a-z0-9-]+")


def on_config_inited(app: Sphinx, config: Any) -> None:
    # first on the path, so the override wins over the theme's macro file
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.insert(0, str(TEMPLATES))
    # the theme's empty default makes its script log "Got invalid theme mode" on a first visit
    # (pydata-sphinx-theme reads it from html_context, as its documentation says)
    context = config.html_context
    if isinstance(context, dict) and not context.get("default_mode"):
        context["default_mode"] = "auto"


def dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep one copy of each script (same file or same inline body, same attributes)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[str] = set()
    kept = []
    for script in scripts:
        key = json.dumps(
            [str(getattr(script, "filename", script) or ""), getattr(script, "attributes", {})],
            sort_keys=True,
            default=str,
        )
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def _char(value: str) -> str:
    """A CSS string's content ("\\f0c9" or the character itself) as one character."""
    m = re.match(r"\\([0-9a-fA-F]{1,6})", value)
    if m:
        return chr(int(m[1], 16))
    return value[1] if value.startswith("\\") and len(value) > 1 else value[0]


def icon_classes(app: Sphinx, outdir: Path) -> set[str]:
    """``fa-*`` classes in the site's pages. Only pages written by this build are read
    (a no-change build of a large book reads none); the names found before are kept in
    the doctree folder, so the set only grows until the next full build."""
    state = Path(app.doctreedir) / "talkbook-icons.json"
    try:
        names = set(json.loads(state.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        names = set()
    since = getattr(app, "_talkbook_build_start", 0.0)
    for page in outdir.rglob("*.html"):
        if page.stat().st_mtime >= since:
            names.update(m.decode() for m in USED_CLASS.findall(page.read_bytes()))
    state.write_text(json.dumps(sorted(names)), encoding="utf-8")
    return names


def used_codepoints(outdir: Path, names: set[str]) -> set[int]:
    """Glyphs the site draws: its icon classes plus the theme's CSS-only icons."""
    css_path = outdir / THEME_CSS
    if not css_path.is_file():
        return set()
    css = css_path.read_text(encoding="utf-8")
    by_class: dict[str, str] = {}
    for selectors, content in CLASS_RULE.findall(css):
        for name in re.findall(r"\.(fa-[a-z0-9-]+)", selectors):
            by_class[name] = _char(content)
    used = {_char(v) for v in ICON_VAR.findall(css)}
    used.update(by_class[n] for n in names if n in by_class)
    return {ord(c) for c in used}


def subset_font(data: bytes, codepoints: set[int]) -> bytes:
    """The WOFF2 font cut down to the given characters (glyphs it lacks are ignored)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.ignore_missing_unicodes = True
    options.recalc_timestamp = False  # the same glyphs give the same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()


def trim_icon_fonts(app: Sphinx, exception: Exception | None) -> None:
    """Replace the copied FontAwesome WOFF2 files with subsets.

    ``<doctreedir>/talkbook-icons/`` keeps, per font, the theme's original, the subset and
    (``state.json``) their digests and the glyphs the subset holds. A font that is already
    that subset (a build that wrote no page: Sphinx copied nothing) is left alone; the
    original again (Sphinx copies the theme's files whenever it writes pages) gets the
    kept subset back; only new glyphs or a new original cost a subsetting."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    fonts = sorted((outdir / FONT_DIR).glob("*.woff2"))
    codepoints = used_codepoints(outdir, icon_classes(app, outdir))
    if not fonts or not codepoints:
        return
    cache = Path(app.doctreedir) / "talkbook-icons"
    cache.mkdir(parents=True, exist_ok=True)
    state_path = cache / "state.json"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    wanted = ",".join(f"{c:x}" for c in sorted(codepoints))
    new_state = {}
    for path in fonts:
        data = path.read_bytes()
        digest = hashlib.sha1(data).hexdigest()
        done = state.get(path.name, {})
        original = cache / f"{path.stem}.original.woff2"
        kept = cache / f"{path.stem}.subset.woff2"
        same_glyphs = done.get("glyphs") == wanted and kept.is_file() and original.is_file()
        if same_glyphs and digest == done.get("subset"):
            new_state[path.name] = done
            continue
        if same_glyphs and digest == done.get("original"):
            write_atomic(path, kept.read_bytes(), sync=False)
            new_state[path.name] = done
            continue
        if digest == done.get("subset") and original.is_file():
            data = original.read_bytes()  # other glyphs: cut again from the original
        else:  # the theme's own file (first build, or a new theme version)
            write_atomic(original, data, sync=False)
        try:
            subset = subset_font(data, codepoints)
        except Exception as err:  # a font fontTools cannot read stays whole
            logger.warning(
                f"{path.name}: could not trim the icon font ({err}); it is served whole",
                type="talkbook",
                subtype="assets",
            )
            continue
        write_atomic(kept, subset, sync=False)
        write_atomic(path, subset, sync=False)
        new_state[path.name] = {
            "original": hashlib.sha1(data).hexdigest(),
            "subset": hashlib.sha1(subset).hexdigest(),
            "glyphs": wanted,
        }
    if new_state != state:
        write_atomic(state_path, json.dumps(new_state, sort_keys=True).encode(), sync=False)
        for stale in cache.glob("*.woff2"):  # subsets kept by earlier versions
            if not stale.name.endswith((".original.woff2", ".subset.woff2")):
                stale.unlink()


def note_build_start(app: Sphinx) -> None:
    app._talkbook_build_start = time.time() - 2  # type: ignore[attr-defined]  # mtime granularity


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", note_build_start)
    app.connect("config-inited", on_config_inited)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("build-finished", trim_icon_fonts)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
