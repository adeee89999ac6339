"""YAML from strangers: safe loading without anchors and aliases, in linear time.

Aliases let a few lines expand into billions of values (the "billion laughs"); the events
are read in one linear pass and nothing is built, so refusing costs what the text costs.
Front matter, ``_toc.yml`` and the catalog's ``schema.yaml`` are all read this way.
"""

from __future__ import annotations

from typing import Any

import yaml

#: libyaml's loader when PyYAML was built with it (~10x faster), same marks and values
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnsafeYaml(yaml.YAMLError):
    """The text uses a YAML feature user files may not use (aliases, anchors)."""

    def __init__(self, problem: str, mark: yaml.Mark | None):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


def refuse_aliases(body: str, loader_class: Any = SafeLoader) -> None:
    """Raise :class:`UnsafeYaml` at the first anchor or alias."""
    loader = loader_class(body)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise UnsafeYaml(f"YAML alias *{event.anchor} is not allowed", event.start_mark)
            if getattr(event, "anchor", None):
                raise UnsafeYaml(f"YAML anchor &{event.anchor} is not allowed", event.start_mark)
    finally:
        loader.dispose()


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` (libyaml when available) without anchors and aliases."""
    refuse_aliases(text)
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 (a safe loader)
