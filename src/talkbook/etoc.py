"""sphinx-external-toc at 10,000 pages: three costs that grow with the book, removed.

Measured on a no-change rebuild of the 10,000-page bench book (14 s CPU in all; cProfile):

1. ``only_build_toc_files`` (``external_toc_exclude_missing``): for every source file that
   is not in ``_toc.yml`` (the ~1,100 generated talk, conference and tag pages among them),
   ``parse_toc_to_env`` calls ``SiteMap.globs()``, which walks every document of the site
   map: files x documents, 11.6 million calls, ~9 s. Here the same exclusion is made with
   the globs gathered once (:func:`exclude_missing`): talkbook clears the setting before
   sphinx-external-toc reads it and applies it itself right after.
2. ``parse_toc_yaml`` reads ``_toc.yml`` with PyYAML's pure-Python loader (~2 s). It is
   replaced by the same parse with libyaml, which also refuses anchors and aliases (a
   ``_toc.yml`` from a pull request cannot expand into billions of entries):
   :func:`parse_toc_yaml`.
3. ``TocTreeCollectorWithStyles.assign_section_numbers`` deep-copies every title of the book
   on every build (``env.titles_old``) to restyle section numbers; with no numbered toctree
   there is nothing to restyle and the copy is all it does (~1.5 s). :class:`Collector`
   skips it then; with a numbered toctree it runs the upstream method unchanged.

2 and 3 replace upstream code; ``tests/kit/test_upstream_guards.py`` pins the code they
stand in for, and ``tests/kit/test_etoc.py`` checks the results are the same.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging
from sphinx.util.matching import Matcher, patmatch

from . import __version__
from .yamlsafe import safe_load

logger = logging.getLogger(__name__)

_WANTED = "_talkbook_exclude_missing"


def parse_toc_yaml(path: str | Path, encoding: str = "utf8") -> Any:
    """``sphinx_external_toc.parsing.parse_toc_yaml`` with libyaml and without aliases."""
    from sphinx_external_toc.parsing import parse_toc_data

    with Path(path).open(encoding=encoding) as handle:
        data = safe_load(handle.read())
    return parse_toc_data(data)


def take_over_exclusion(app: Sphinx, config: Config) -> None:
    """config-inited, before sphinx-external-toc (900): keep its exclusion for later."""
    if "external_toc_exclude_missing" not in config:
        return
    setattr(app, _WANTED, bool(config.external_toc_exclude_missing))
    config["external_toc_exclude_missing"] = False


def exclude_missing(app: Sphinx, config: Config) -> None:
    """config-inited, after sphinx-external-toc: add the source files ``_toc.yml`` does not
    name to ``exclude_patterns``, as ``parse_toc_to_env`` does, with the globs read once."""
    site_map = getattr(config, "external_site_map", None)
    if not getattr(app, _WANTED, False) or site_map is None:
        return
    # the setting as the book wrote it: the environment compares it with the last build's
    config["external_toc_exclude_missing"] = True
    srcdir = Path(app.srcdir)
    globs = sorted(site_map.globs())
    already_excluded = Matcher(config["exclude_patterns"])
    new_excluded: list[str] = []
    for suffix in config["source_suffix"]:
        for path_str in glob.iglob(str(srcdir / "**" / f"*{suffix}"), recursive=True):
            path = Path(path_str)
            if not path.is_file():
                continue
            posix = path.relative_to(srcdir).as_posix()
            posix_no_suffix = posix[: -len(suffix)]
            components = posix.split("/")
            if not (
                posix in site_map
                or posix_no_suffix in site_map
                or any(
                    already_excluded("/".join(components[: i + 1])) for i in range(len(components))
                )
                or any(patmatch(posix_no_suffix, pat) for pat in globs)
            ):
                new_excluded.append(posix)
    if new_excluded:
        logger.info("[etoc] Excluded %s extra file(s) not in toc", len(new_excluded))
        # a new list: extending would alter the default in Config.config_values
        config["exclude_patterns"] = config["exclude_patterns"] + new_excluded


def _collector_class() -> type | None:
    try:
        from sphinx_external_toc.collectors import TocTreeCollectorWithStyles
    except ImportError:
        return None

    class Collector(TocTreeCollectorWithStyles):  # type: ignore[misc,valid-type]
        """Section-number styles only when some toctree is numbered."""

        def assign_section_numbers(self, env: Any) -> list[str]:
            if not env.numbered_toctrees:
                return super(TocTreeCollectorWithStyles, self).assign_section_numbers(env)
            return super().assign_section_numbers(env)

    return Collector


def swap_collector(app: Sphinx) -> None:
    """Put :class:`Collector` in place of sphinx-external-toc's registered collector."""
    cls = _collector_class()
    if cls is None:
        return
    base = cls.__mro__[1]
    found = [
        listener.handler.__self__
        for listener in app.events.listeners.get("env-get-updated", [])
        if type(getattr(listener.handler, "__self__", None)) is base
    ]
    if not found:
        return
    for collector in found:
        collector.disable(app)
    app.add_env_collector(cls)


def setup(app: Sphinx) -> dict[str, Any]:
    if "sphinx_external_toc" in app.extensions:
        import sphinx_external_toc.events as etoc_events

        etoc_events.parse_toc_yaml = parse_toc_yaml  # guarded: test_upstream_guards
        swap_collector(app)
        app.connect("config-inited", take_over_exclusion, priority=850)
        app.connect("config-inited", exclude_missing, priority=910)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
