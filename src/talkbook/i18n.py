"""UI text: the kit's message catalogue (``locale/<lang>/LC_MESSAGES/talkbook.mo``).

Python and templates write English message ids; a book's ``language`` picks the
translation. The same folder carries the Korean strings that the themes' own Korean
catalogues lack (``sphinx.mo`` and ``booktheme.mo``): Sphinx chains a catalogue added with
``add_message_catalog`` behind the ones already loaded, so ours only fills gaps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.locale import get_translation

from . import __version__

CATALOG = "talkbook"
LOCALE_DIR = Path(__file__).parent / "locale"
_ = get_translation(CATALOG)


def translator(language: str) -> Any:
    """``gettext`` of the kit's catalogue for ``language``, outside Sphinx (the CLI)."""
    import gettext

    return gettext.translation(CATALOG, LOCALE_DIR, [language], fallback=True).gettext


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_message_catalog(CATALOG, str(LOCALE_DIR))
    for theme_catalog in ("sphinx", "booktheme"):
        app.add_message_catalog(theme_catalog, str(LOCALE_DIR))
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
