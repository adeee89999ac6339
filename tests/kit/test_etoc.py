"""talkbook.etoc gives the results of the sphinx-external-toc code it stands in for."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from talkbook import etoc

TOC = """\
format: jb-book
root: intro
parts:
  - caption: Part
    numbered: {numbered}
    chapters:
      - file: a
        sections:
          - file: a1
      - file: b
      - glob: extra/*
"""


class FakeConfig(dict):
    """The part of Sphinx's Config that parse_toc_to_env uses."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value) -> None:
        self[name] = value


def book(root: Path, numbered: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_toc.yml").write_text(TOC.format(numbered=str(numbered).lower()), encoding="utf-8")
    for name in ("intro", "a", "a1", "b", "extra/x", "extra/y", "stray", "sub/stray2", "skip/z"):
        path = root / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n\ntext\n", encoding="utf-8")
    return root


def config(root: Path) -> tuple[SimpleNamespace, FakeConfig]:
    cfg = FakeConfig(
        external_toc_path="_toc.yml",
        external_toc_exclude_missing=True,
        master_doc="index",
        source_suffix={".md": "markdown"},
        exclude_patterns=["skip"],
    )
    return SimpleNamespace(srcdir=str(root), config=cfg), cfg


def test_exclusion_is_upstreams(tmp_path: Path) -> None:
    from sphinx_external_toc import events

    root = book(tmp_path)
    app, upstream = config(root)
    events.parse_toc_to_env(app, upstream)

    app2, ours = config(root)
    etoc.take_over_exclusion(app2, ours)
    assert ours["external_toc_exclude_missing"] is False
    events.parse_toc_to_env(app2, ours)  # with the setting cleared: excludes nothing
    assert ours["exclude_patterns"] == ["skip"]
    etoc.exclude_missing(app2, ours)

    assert ours["exclude_patterns"] == upstream["exclude_patterns"]
    assert sorted(ours["exclude_patterns"]) == ["skip", "stray.md", "sub/stray2.md"]
    assert ours["external_toc_exclude_missing"] is True  # as the book wrote it
    assert ours["master_doc"] == upstream["master_doc"] == "intro"


def test_parse_is_upstreams_and_refuses_aliases(tmp_path: Path) -> None:
    from sphinx_external_toc.parsing import parse_toc_yaml

    root = book(tmp_path)
    for toc in (root / "_toc.yml", Path(__file__).parents[2] / "_toc.yml"):
        assert etoc.parse_toc_yaml(toc) == parse_toc_yaml(toc)
    bomb = root / "bomb.yml"
    bomb.write_text(
        "root: intro\nx: &a [1, 2]\ny: [*a, *a, *a]\nchapters:\n  - file: a\n", encoding="utf-8"
    )
    with pytest.raises(yaml.YAMLError, match="anchor"):
        etoc.parse_toc_yaml(bomb)


@pytest.mark.parametrize("numbered", [False, True])
def test_section_numbers_are_upstreams(tmp_path: Path, numbered: bool) -> None:
    """Built with and without talkbook.etoc, the pages number their sections alike."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    pages = {}
    for name, extensions in (
        ("upstream", ["myst_parser", "sphinx_external_toc"]),
        ("ours", ["myst_parser", "sphinx_external_toc", "talkbook.etoc"]),
    ):
        root = book(tmp_path / name / "src", numbered)
        (root / "conf.py").write_text(
            f"extensions = {extensions!r}\nexternal_toc_path = '_toc.yml'\n"
            "external_toc_exclude_missing = True\n",
            encoding="utf-8",
        )
        out = tmp_path / name / "out"
        with docutils_namespace():
            app = Sphinx(
                str(root),
                str(root),
                str(out),
                str(out / ".doctrees"),
                "html",
                status=None,
                warning=None,
                freshenv=True,
            )
            app.build()
            collectors = {
                type(listener.handler.__self__).__qualname__
                for listener in app.events.listeners["env-get-updated"]
                if hasattr(listener.handler, "__self__")
            }
            swapped = "_collector_class.<locals>.Collector" in collectors
            assert swapped == (name == "ours"), collectors
        pages[name] = {
            p.name: re.sub(r"\s+", " ", p.read_text(encoding="utf-8"))
            for p in sorted(out.glob("*.html"))
            if p.name != "search.html"
        }
    assert pages["ours"].keys() == pages["upstream"].keys()
    assert pages["ours"] == pages["upstream"]
    if numbered:
        assert 'class="section-number">1.1. ' in pages["ours"]["a1.html"]
