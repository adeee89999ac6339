"""Front matter of book pages: read it with line numbers and check it against the schema.

The schema is the ``front_matter`` section of ``data/schema.yaml``. Problems come back as
:class:`talkbook.catalog.Problem` so every tool prints them the same way.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalog import Catalog, Problem, display_path
from .yamlsafe import SafeLoader, UnsafeYaml, refuse_aliases, safe_load  # noqa: F401  # noqa: F401  (is_url re-exported)

FENCE = "---"


@dataclass
class FrontMatter:
    """The parsed YAML block at the top of a page."""

    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line in the file
    start: int = 0  # line of the opening fence (0 when there is none)
    end: int = 0  # line of the closing fence

    @property
    def talkbook(self) -> dict[str, Any]:
        value = self.data.get("talkbook")
        return value if isinstance(value, dict) else {}


def split_front_matter(text: str) -> tuple[str | None, int]:
    """Return the YAML text between the fences and the line of the closing fence."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        return None, 0
    for i, line in enumerate(lines[1:], start=2):
        if line.strip() == FENCE:
            return "\n".join(lines[1 : i - 1]), i
    return None, -1


_SafeLoader = SafeLoader

UNSAFE_YAML = "front matter: YAML "  # the message of a refused anchor or alias


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` without anchors and aliases (raises :class:`yaml.YAMLError`)."""
    refuse_aliases(text)
    return _compose_and_load(text)[1]


def _datetimes(value: Any, key: str = "") -> list[str]:
    """Keys (dotted) whose value is a date-time: MyST cannot store them in page metadata."""
    if isinstance(value, dt.datetime):
        return [key]
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _datetimes(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for v in value:
            out += _datetimes(v, key)
    return out


def _compose_and_load(body: str, loader_class: Any = _SafeLoader) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data, from one parse.

    On an error, the message is the pure-Python loader's: same line as libyaml's, but it
    names the character or alias at fault (libyaml: "found character that cannot start
    any token", PyYAML: "found character '\\t' that cannot start any token").
    """
    loader = loader_class(body)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError:
        if loader_class is yaml.SafeLoader:
            raise
        return _compose_and_load(body, yaml.SafeLoader)
    finally:
        loader.dispose()
    return node, data or {}


def parse_front_matter(text: str, path: str) -> tuple[FrontMatter, list[Problem]]:
    """Parse a page's front matter (MyST .md, or .ipynb metadata)."""
    if path.endswith(".ipynb"):
        try:
            meta = json.loads(text).get("metadata", {})
        except json.JSONDecodeError as err:
            return FrontMatter(), [
                Problem(path, err.lineno, "", f"invalid notebook JSON: {err.msg}", "fix the JSON")
            ]
        return FrontMatter(meta, {k: 1 for k in meta}, 1, 1), []
    body, end = split_front_matter(text)
    if end == -1:
        return FrontMatter(), [
            Problem(
                path,
                1,
                "",
                "front matter has no closing '---'",
                "end the YAML block with a line '---'",
            )
        ]
    if body is None:
        return FrontMatter(), []
    try:
        refuse_aliases(body)
        node, data = _compose_and_load(body)
    except UnsafeYaml as err:
        mark = err.problem_mark
        return FrontMatter(), [
            Problem(
                path,
                mark.line + 2 if mark else 1,
                "",
                f"{UNSAFE_YAML}{err.problem.removeprefix('YAML ')}",
                "write each value out in full; YAML anchors and aliases are not allowed",
            )
        ]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        msg = getattr(err, "problem", None) or str(err)
        return FrontMatter(), [
            Problem(
                path,
                line,
                "",
                f"malformed YAML front matter: {msg}",
                "check indentation and quoting",
            )
        ]
    if not isinstance(data, dict):
        return FrontMatter(), [
            Problem(path, 2, "", "front matter is not a mapping", "write `key: value` lines")
        ]
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            lines[key_node.value] = key_node.start_mark.line + 2
            if key_node.value == "talkbook" and isinstance(value_node, yaml.MappingNode):
                for sub, _ in value_node.value:
                    lines[f"talkbook.{sub.value}"] = sub.start_mark.line + 2
    fm = FrontMatter(data, lines, 1, end)
    problems = [
        Problem(
            path,
            lines.get(key, lines.get(key.split(".")[0], 2)),
            key,
            "a date with a time is not allowed in front matter",
            'write the day only, quoted: "YYYY-MM-DD"',
        )
        for key in _datetimes(data)
    ]
    return fm, problems


DATE_VALUE_RE = re.compile(
    r"(:\s*)(\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|\s+)[0-9:.]+(?:\s*(?:Z|[+-]\d{1,2}(?::?\d{2})?))?)?)\s*$"
)


def quote_dates(text: str, fm: FrontMatter) -> str:
    """Quote unquoted YAML dates and date-times (top-level keys and the ``talkbook:`` block).

    YAML turns ``date: 2019-10-29`` into a date object, which MyST cannot serialise (a
    date-time even stops the build); quoting keeps what the author wrote and lets the page
    build. Date-times are still reported as a problem by :func:`parse_front_matter`.
    """
    lines = text.split("\n")
    values = {**fm.data, **{f"talkbook.{k}": v for k, v in fm.talkbook.items()}}
    for key, value in values.items():
        line = fm.lines.get(key)
        if isinstance(value, dt.date) and line and line <= len(lines):
            lines[line - 1] = DATE_VALUE_RE.sub(r'\1"\2"', lines[line - 1])
    return "\n".join(lines)


def load_field_specs(data_dir: Path) -> list[dict[str, Any]]:
    raw = safe_load((Path(data_dir) / "schema.yaml").read_text(encoding="utf-8"))
    return raw["front_matter"]["fields"]


def validate_front_matter(
    fm: FrontMatter, path: str, catalog: Catalog, specs: list[dict[str, Any]]
) -> list[Problem]:
    """Check the ``talkbook:`` block of one page against the schema."""
    problems: list[Problem] = []
    meta = fm.data.get("talkbook")
    if meta is None:
        return [
            Problem(
                path,
                max(fm.start, 1),
                "talkbook",
                "page has no `talkbook:` front matter",
                "add it; `talkbook new` writes a template",
            )
        ]
    if not isinstance(meta, dict):
        return [
            Problem(
                path,
                fm.lines.get("talkbook", 1),
                "talkbook",
                "must be a mapping",
                "indent the fields under `talkbook:`",
            )
        ]
    known_fields = {s["name"] for s in specs}
    for key in meta:
        if key not in known_fields:
            close = difflib.get_close_matches(str(key), sorted(known_fields), n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"known fields: {', '.join(sorted(known_fields))}"
            )
            problems.append(
                Problem(
                    path,
                    fm.lines.get(f"talkbook.{key}", fm.start),
                    f"talkbook.{key}",
                    "unknown field",
                    hint,
                )
            )
    kind = meta.get("kind")
    refs = {
        "conferences": set(catalog.rows_by_id("conferences")),
        "tags": set(catalog.rows_by_id("tags")),
        "talks": set(catalog.rows_by_id("talks")),
    }
    for spec in specs:
        name = spec["name"]
        line = fm.lines.get(f"talkbook.{name}", fm.lines.get("talkbook", 1))
        value = meta.get(name)
        required = spec.get("required") or kind in spec.get("required_for", [])
        if value in (None, "", []):
            if required:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"talkbook.{name}",
                        "required field is missing",
                        spec.get("help", ""),
                    )
                )
            continue
        problems += _check_field(spec, value, path, line, refs)
    return problems


def _check_field(
    spec: dict[str, Any], value: Any, path: str, line: int, refs: dict[str, set[str]]
) -> list[Problem]:
    name, kind = f"talkbook.{spec['name']}", spec["type"]
    if kind == "enum" and value not in spec["values"]:
        return [
            Problem(
                path,
                line,
                name,
                f"{value!r} is not one of {', '.join(spec['values'])}",
                f"use one of: {', '.join(spec['values'])}",
            )
        ]
    if kind == "int" and not isinstance(value, int):
        return [
            Problem(
                path, line, name, f"{value!r} is not a whole number", "write a number such as 1"
            )
        ]
    if kind == "date" and not hasattr(value, "isoformat"):
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return [Problem(path, line, name, f"{value!r} is not a date", "write YYYY-MM-DD")]
    if kind == "str" and not isinstance(value, str):
        return [Problem(path, line, name, "must be text", "quote the value")]
    items: list[Any] = [value]
    if kind == "list":
        if not isinstance(value, list):
            return [
                Problem(path, line, name, "must be a list", "write [a, b] or one `- item` per line")
            ]
        items = value
    out = []
    target = spec.get("ref")
    for item in items if target else []:
        if str(item) not in refs[target]:
            close = difflib.get_close_matches(str(item), sorted(refs[target]), n=3)
            hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
            out.append(
                Problem(
                    path,
                    line,
                    name,
                    f"unknown {target[:-1]} id {item!r}",
                    f"{hint}ids are listed in data/{target}.csv",
                )
            )
    return out


def read_page(path: Path) -> tuple[FrontMatter, list[Problem]]:
    """Read a page from disk and parse its front matter."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        data = path.read_bytes()
        line = data[: err.start].count(b"\n") + 1
        return FrontMatter(), [Problem(shown, line, "", "not UTF-8", "save the file as UTF-8")]
    return parse_front_matter(text, shown)
