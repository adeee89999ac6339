"""``talkbook.search``: Korean-aware full-text search for the HTML build.

Sphinx has no Korean search language; with ``language = "ko"`` it indexes as
English.  This extension

* registers :class:`~talkbook.search.korean.SearchKorean` (lang ``ko``) with
  ``app.add_search_language``; it is used when the book language (or
  ``html_search_language``) is ``ko``;
* puts ``static/searchtools.js`` (Sphinx 7.4.7's file with a small, commented
  patch for Korean multi-word queries) on ``html_static_path`` so it replaces
  the theme's copy.

Config: ``talkbook_search_korean`` (default ``True``).  ``False`` leaves Sphinx's
stock behaviour untouched (used by ``scripts/search_eval.py`` as the baseline).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

__version__ = "0.1.0"

STATIC_DIR = Path(__file__).parent / "static"


def _config_inited(app: Sphinx, config: Config) -> None:
    from sphinx.search import languages

    from .korean import SearchKorean

    if config.talkbook_search_korean:
        app.add_search_language(SearchKorean)
    elif languages.get("ko") is SearchKorean:
        # same process, baseline build after ours: back to Sphinx's fallback
        del languages["ko"]


def _builder_inited(app: Sphinx) -> None:
    if not app.config.talkbook_search_korean:
        return
    if app.builder.format != "html":
        return
    lang = app.config.html_search_language or app.config.language or ""
    if lang.split("_")[0] != "ko":
        return  # another search language: Sphinx's own searchtools.js
    static = str(STATIC_DIR)
    if static not in app.config.html_static_path:
        # copied after the theme's static files, so our searchtools.js wins
        app.config.html_static_path.append(static)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("talkbook_search_korean", True, "env", [bool])
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    return {
        "version": __version__,
        # bump when the index forms change: the env keeps per-doc search terms
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
