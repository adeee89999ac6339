"""``_toc.yml`` read by sphinx-external-toc's own parser, its errors placed on a line.

The build reads the toc with :func:`sphinx_external_toc.parsing.parse_toc_data`; running the
same parser here means ``talkbook check`` refuses exactly the tocs the build refuses
(a misspelled ``chapter:`` included), and says where: ``_toc.yml:LINE: problem (fix)``.
"""

from __future__ import annotations

import difflib
import re

import yaml
from sphinx_external_toc.parsing import FILE_FORMATS, MalformedError, SiteMap, parse_toc_data

from ..catalog import Problem
from ..frontmatter import UnsafeYaml, load_yaml

PATH_RE = re.compile(r"@ '(?P<path>[^']*)'")
UNKNOWN_RE = re.compile(r"Unknown keys found: \{(?P<keys>[^}]*)\}, allowed: \{(?P<allowed>[^}]*)\}")
TWICE_RE = re.compile(r"document file used multiple times: '(?P<doc>[^']*)'")
NEEDS_RE = re.compile(r"containing '(?P<key>\w+)' key")
FORMAT_RE = re.compile(r"'format' key value not recognised")


def external_toc(text: str, shown: str = "_toc.yml") -> tuple[SiteMap | None, list[Problem]]:
    """Parse the toc as the build does; on failure one problem with its line and a fix."""
    try:
        data = load_yaml(text)
    except UnsafeYaml as err:
        mark = err.problem_mark
        return None, [
            Problem(shown, mark.line + 1 if mark else 1, "", err.problem, "write entries in full")
        ]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        msg = getattr(err, "problem", None) or str(err)
        return None, [
            Problem(
                shown,
                mark.line + 1 if mark else 1,
                "",
                f"malformed YAML: {msg}",
                "check indentation and quoting",
            )
        ]
    try:
        return parse_toc_data(data), []
    except MalformedError as err:
        return None, [_problem(str(err), text, shown)]
    except Exception as err:  # noqa: BLE001  (the parser trusts its input's types)
        return None, [_problem(f"{type(err).__name__}: {err}", text, shown)]


def _problem(message: str, text: str, shown: str) -> Problem:
    node = yaml.compose(text)  # parsed above already, so this cannot fail
    m = PATH_RE.search(message)
    target = _node_at(node, m["path"]) if m else node
    line = target.start_mark.line + 1 if target is not None else 1
    fix = (
        "see the Jupyter Book docs for _toc.yml (format: jb-book: root, parts, chapters, sections)"
    )
    unknown = UNKNOWN_RE.search(message)
    if unknown:
        keys = re.findall(r"'([^']*)'", unknown["keys"])
        allowed = sorted(re.findall(r"'([^']*)'", unknown["allowed"]))
        key_node = _key_node(target, keys[0]) if keys else None
        if key_node is not None:
            line = key_node.start_mark.line + 1
        close = difflib.get_close_matches(keys[0], allowed, n=1) if keys else []
        message = f"unknown key {', '.join(repr(k) for k in keys)} in the toc"
        fix = (
            f"did you mean {close[0]!r}? " if close else ""
        ) + f"allowed here: {', '.join(allowed)}"
    needed = NEEDS_RE.search(message)
    if needed and isinstance(target, yaml.MappingNode):
        keys = [k.value for k, _ in target.value if isinstance(k, yaml.ScalarNode)]
        wrong = [k for k in keys if difflib.get_close_matches(k, [needed["key"]], n=1)]
        if wrong:
            key_node = _key_node(target, wrong[0])
            line = key_node.start_mark.line + 1 if key_node is not None else line
            message = f"unknown key {wrong[0]!r} in the toc"
            fix = f"did you mean {needed['key']!r}?"
    twice = TWICE_RE.search(message)
    if twice:
        lines = [
            i + 1
            for i, raw in enumerate(text.splitlines())
            if re.search(
                rf"\b(file|root):\s*['\"]?/?{re.escape(twice['doc'])}(\.\w+)?['\"]?\s*$", raw
            )
        ]
        line = lines[1] if len(lines) > 1 else (lines[0] if lines else line)
        message = f"{twice['doc']!r} is listed twice"
        fix = "keep one entry"
    if FORMAT_RE.search(message):
        key_node = _key_node(node, "format")
        line = key_node.start_mark.line + 1 if key_node is not None else 1
        fix = f"use one of: {', '.join(sorted(FILE_FORMATS))}"
    return Problem(shown, line, "", message.replace(" @ ", " at "), fix)


def _node_at(node: yaml.Node | None, path: str) -> yaml.Node | None:
    """The node at a sphinx-external-toc path such as ``/parts/0/chapters/1``."""
    for part in [p for p in path.split("/") if p]:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            return node
    return node


def _key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((k for k, _ in node.value if getattr(k, "value", None) == key), None)
    return None
