"""Guards for the kit's remaining uses of other packages' internals.

Each test pins the exact upstream code a talkbook function relies on. When an upgrade
changes that code, the test fails: read the new upstream code, check that the talkbook
function named in the test still holds, then record the new digest here.
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import pytest


def digest(obj: object) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_sitemap_queue_and_add_html_link() -> None:
    """talkbook.meta.complete_sitemap puts the pages an incremental build did not write on
    sphinx-sitemap's ``app.sitemap_links`` queue through its ``add_html_link``, and relies on
    ``create_sitemap`` reading that queue at build-finished (priority 500)."""
    import sphinx_sitemap

    assert digest(sphinx_sitemap.add_html_link) == "e9a4b0b9b847c01d"
    assert digest(sphinx_sitemap.create_sitemap) == "f63e7e8099adb3e0"


def test_opengraph_imports_social_cards_at_import_time() -> None:
    """talkbook.meta.setup_opengraph stands in for ``sphinxext.opengraph._social_cards``
    while opengraph is imported: it takes ``DEFAULT_SOCIAL_CONFIG`` and ``create_social_card``
    from that module at import time, and nothing else."""
    import sphinxext.opengraph as og

    assert digest(og) == "2fde085c93e864d2"


def test_bundled_extensions_declared_parallel_safe() -> None:
    """talkbook.ext.declare_bundled_parallel_safe marks sphinx_multitoc_numbering (a no-op
    with use_multitoc_numbering off) and sphinx_jupyterbook_latex (whose transforms return
    at once unless the builder is LaTeX) as parallel-read safe."""
    import sphinx_jupyterbook_latex
    import sphinx_multitoc_numbering

    assert digest(sphinx_multitoc_numbering) == "1bcf8aa787ce804c"
    folder = Path(sphinx_jupyterbook_latex.__file__).parent
    found = {f.name: file_digest(f) for f in sorted(folder.glob("*.py"))}
    assert found == {
        "__init__.py": "0df253497cb414f6",
        "events.py": "4ccf751f2aebf196",
        "nodes.py": "7c15c60c6ae3de41",
        "transforms.py": "0ce989e340091b03",
    }


def test_external_toc_transform_priority() -> None:
    """talkbook.directives.HiddenToctrees (priority 150) runs after sphinx-external-toc's
    InsertToctrees, which warns about any toctree it finds in a document."""
    from sphinx_external_toc.events import InsertToctrees

    from talkbook.directives import HiddenToctrees

    assert InsertToctrees.default_priority < HiddenToctrees.default_priority < 880


@pytest.mark.parametrize("module", ["sphinx_sitemap", "sphinxext.opengraph"])
def test_guarded_modules_import(module: str) -> None:
    __import__(module)


def test_external_toc_code_talkbook_etoc_stands_in_for() -> None:
    """talkbook.etoc: ``parse_toc_yaml`` replaces sphinx-external-toc's (same parse with
    libyaml, aliases refused) in ``events``, where ``parse_toc_to_env`` looks it up;
    ``exclude_missing`` repeats the exclusion part of ``parse_toc_to_env`` (with the globs
    read once); ``Collector.assign_section_numbers`` skips the upstream method, which only
    restyles numbers of numbered toctrees, when there are none."""
    import sphinx_external_toc.collectors as collectors
    import sphinx_external_toc.events as events
    import sphinx_external_toc.parsing as parsing

    assert digest(parsing.parse_toc_yaml) == "9364002e40d5fa9b"
    assert digest(events.parse_toc_to_env) == "c7fd44cae4327122"
    assert digest(collectors.TocTreeCollectorWithStyles) == "5fc8180fa269a1ca"
