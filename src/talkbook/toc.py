"""``_toc.yml``: its entries with line numbers, and adding one entry by editing text.

Adding an entry inserts lines into the file and leaves every other byte as it was, so
comments, blank lines and quoting survive. The result is parsed again and checked before it
is returned.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .catalog import Problem
from .frontmatter import refuse_aliases

SOURCE_SUFFIXES = (".md", ".ipynb", ".rst")


class TocError(Exception):
    """The toc cannot be read, or an entry cannot be placed automatically."""


@dataclass
class Entry:
    """One ``file:``/``root:``/``glob:`` item of the toc."""

    key: str  # file | root | glob
    value: str
    line: int  # 1-based line of the value
    item: yaml.MappingNode  # the mapping that holds the key (the sequence item)
    seq: yaml.SequenceNode | None  # the list the item belongs to (None for root)
    part: yaml.MappingNode | None = None  # the enclosing part (jb-book `parts:` item)
    caption: str = ""


@dataclass
class Toc:
    text: str
    node: yaml.Node | None
    entries: list[Entry] = field(default_factory=list)

    @property
    def files(self) -> list[Entry]:
        return [e for e in self.entries if e.key in ("file", "root")]

    def globs(self) -> list[Entry]:
        return [e for e in self.entries if e.key == "glob"]

    def covers(self, docname: str) -> bool:
        """True when a file or glob entry includes the page (docname: path without suffix)."""
        if any(strip_suffix(e.value) == docname for e in self.files):
            return True
        return any(fnmatch.fnmatchcase(docname, strip_suffix(e.value)) for e in self.globs())


def strip_suffix(value: str) -> str:
    value = value.strip().lstrip("/")
    for suffix in SOURCE_SUFFIXES:
        if value.endswith(suffix):
            return value[: -len(suffix)]
    return value


def resolve(root: Path, value: str) -> Path | None:
    """The source file a toc entry points to, or None when there is none."""
    value = value.strip().lstrip("/")
    if value.endswith(SOURCE_SUFFIXES):
        path = root / value
        return path if path.is_file() else None
    for suffix in SOURCE_SUFFIXES:
        path = root / (value + suffix)
        if path.is_file():
            return path
    return None


def parse(text: str, shown: str = "_toc.yml") -> tuple[Toc, list[Problem]]:
    """Read the toc text; problems for malformed YAML (with the line).

    Anchors and aliases are refused first: walking an aliased node tree can take
    exponential time (the "billion laughs")."""
    try:
        refuse_aliases(text)
        node = yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        msg = getattr(err, "problem", None) or str(err)
        return Toc(text, None), [
            Problem(
                shown,
                mark.line + 1 if mark else 1,
                "",
                f"malformed YAML: {msg}",
                "check indentation and quoting",
            )
        ]
    toc = Toc(text, node)
    if node is None:
        return toc, [
            Problem(
                shown,
                1,
                "",
                "the toc is empty",
                "list the book's pages; see the Jupyter Book docs for _toc.yml",
            )
        ]
    if not isinstance(node, yaml.MappingNode):
        return toc, [
            Problem(
                shown,
                1,
                "",
                "the toc is not a mapping",
                "start with `format: jb-book` and `root: <page>`",
            )
        ]
    toc.entries = list(_walk(node, None, None, ""))
    return toc, []


def _walk(
    node: yaml.Node, seq: yaml.SequenceNode | None, part: yaml.MappingNode | None, caption: str
) -> Iterator[Entry]:
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _walk(child, node, part, caption)
    elif isinstance(node, yaml.MappingNode):
        keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        if "chapters" in keys and seq is not None:  # a part
            part = node
            cap = keys.get("caption")
            caption = cap.value if isinstance(cap, yaml.ScalarNode) else ""
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
            if key in ("file", "root", "glob") and isinstance(value, yaml.ScalarNode):
                yield Entry(
                    key, str(value.value), value.start_mark.line + 1, node, seq, part, caption
                )
            elif isinstance(value, yaml.SequenceNode | yaml.MappingNode):
                yield from _walk(
                    value, seq if isinstance(value, yaml.MappingNode) else value, part, caption
                )


def _last_line(node: yaml.Node) -> int:
    """0-based index of the last line holding content of ``node``."""
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    return max((_last_line(c) for c in children), default=node.start_mark.line)


def _item_prefix(lines: list[str], item: yaml.MappingNode) -> str:
    """The ``    - `` text before the first key of a block sequence item."""
    line = lines[item.start_mark.line]
    prefix = line[: item.start_mark.column]
    if prefix.strip() not in ("-", ""):
        raise TocError("the toc uses a layout that cannot be edited automatically")
    if prefix.strip() == "":  # a key on its own line below the dash: use the dash's line
        prefix = " " * (item.start_mark.column - 2) + "- "
    return prefix


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _insert(text: str, index: int, new_lines: list[str]) -> str:
    """Insert lines before 0-based line ``index`` (== len: at the end)."""
    nl = _newline(text)
    lines = text.splitlines(keepends=True)
    if index >= len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    lines[index:index] = [line + nl for line in new_lines]
    return "".join(lines)


def insert_after(text: str, anchor: Entry, value: str) -> str:
    """Add ``- file: value`` as the next sibling of ``anchor``'s item."""
    if anchor.seq is None or anchor.seq.flow_style:
        raise TocError(f"cannot add an entry next to {anchor.value!r}")
    lines = text.splitlines()
    prefix = _item_prefix(lines, anchor.item)
    return _insert(text, _last_line(anchor.item) + 1, [f"{prefix}file: {value}"])


def insert_before(text: str, anchor: Entry, value: str) -> str:
    """Add ``- file: value`` as the previous sibling of ``anchor``'s item (above its comments)."""
    if anchor.seq is None or anchor.seq.flow_style:
        raise TocError(f"cannot add an entry next to {anchor.value!r}")
    lines = text.splitlines()
    prefix = _item_prefix(lines, anchor.item)
    index = anchor.item.start_mark.line
    while index > 0 and lines[index - 1].strip().startswith("#"):
        index -= 1
    return _insert(text, index, [f"{prefix}file: {value}"])


def append_part(
    text: str,
    like: yaml.MappingNode | None,
    caption: str,
    value: str,
    *,
    before: yaml.MappingNode | None = None,
    after: yaml.MappingNode | None = None,
) -> str:
    """Add a part ``caption`` holding one chapter: before ``before``, after ``after``, or last.
    Its layout (indentation) copies the part ``like``."""
    node = yaml.compose(text)
    parts = _mapping_get(node, "parts")
    if not isinstance(parts, yaml.SequenceNode) or parts.flow_style or not parts.value:
        raise TocError("the toc has no `parts:` list to add a part to")
    lines = text.splitlines()
    model = like or parts.value[-1]
    prefix = _item_prefix(lines, model)
    indent = " " * len(prefix)
    chapters = _mapping_get(model, "chapters")
    if isinstance(chapters, yaml.SequenceNode) and chapters.value and not chapters.flow_style:
        first = chapters.value[0]
        chapter_prefix = lines[first.start_mark.line][: first.start_mark.column]
    else:
        chapter_prefix = indent + "  - "
    block = [
        f"{prefix}caption: {_yaml_scalar(caption)}",
        f"{indent}chapters:",
        f"{chapter_prefix}file: {value}",
    ]
    if before is not None:
        index = before.start_mark.line
        while index > 0 and lines[index - 1].strip().startswith("#"):
            index -= 1
    else:
        index = _last_line(after if after is not None else parts.value[-1]) + 1
    return _insert(text, index, block)


def _mapping_get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _yaml_scalar(value: str) -> str:
    dumped = yaml.safe_dump(
        value, allow_unicode=True, default_flow_style=True, width=10_000
    ).strip()
    return dumped.removesuffix("...").strip()


def verify(old: str, new: str, value: str, same_list_as: str | None = None) -> None:
    """The edited toc must parse, keep every old entry and hold the new one (next to its "
    "sibling)."""
    old_toc, _ = parse(old)
    new_toc, problems = parse(new)
    if problems:
        raise TocError(f"editing the toc would break it: {problems[0]}")
    before = [(e.key, e.value) for e in old_toc.entries]
    after = [(e.key, e.value) for e in new_toc.entries]
    if sorted([*before, ("file", value)]) != sorted(after):
        raise TocError("editing the toc would change other entries")
    if same_list_as is not None:
        new_entry = next(e for e in new_toc.entries if e.key == "file" and e.value == value)
        sibling = next(e for e in new_toc.entries if e.key != "glob" and e.value == same_list_as)
        if new_entry.seq is not sibling.seq:
            raise TocError("the new entry did not land next to its sibling")


def add_page(
    text: str,
    value: str,
    *,
    group_of: Callable[[Entry], str | None],
    group: str | None,
    group_order: Callable[[str], tuple],
    group_names: Callable[[str], list[str]],
    new_caption: str,
    fallback: Callable[[Entry], bool],
) -> str:
    """Add ``value`` (a docname) to the toc text next to the pages of the same group.

    ``group_of(entry)`` says which group (conference id) a listed page belongs to. The page
    goes after the last page of its group. A group with no page yet goes into the part whose
    caption names it (``group_names``); else, when the toc has one part per group, into a new
    part placed in ``group_order``; else, when all grouped pages share one list, into that
    list in ``group_order``. Pages with no group go after the last entry ``fallback`` accepts,
    else into a new part at the end.
    """
    toc, problems = parse(text)
    if problems:
        raise TocError(str(problems[0]))
    files = [e for e in toc.files if e.key == "file"]
    if any(strip_suffix(e.value) == strip_suffix(value) for e in files):
        raise TocError(f"_toc.yml already lists {value}")
    groups = {id(e): group_of(e) for e in files}

    def done(new: str, sibling: Entry | None) -> str:
        verify(text, new, value, sibling.value if sibling else None)
        return new

    def names_caption(caption: str, name: str) -> bool:
        return any(n.lower() in caption.lower() for n in group_names(name) if n)

    if group is not None:
        same = [e for e in files if groups[id(e)] == group]
        if same:
            return done(insert_after(text, same[-1], value), same[-1])
        named = [e for e in files if e.part is not None and names_caption(e.caption, group)]
        if named:
            return done(insert_after(text, named[-1], value), named[-1])
        grouped = [e for e in files if groups[id(e)] is not None]
        later = [e for e in grouped if group_order(groups[id(e)]) > group_order(group)]
        if grouped and all(
            e.part is not None and names_caption(e.caption, groups[id(e)]) for e in grouped
        ):
            if later:
                return done(
                    append_part(text, later[0].part, new_caption, value, before=later[0].part), None
                )
            return done(
                append_part(text, grouped[-1].part, new_caption, value, after=grouped[-1].part),
                None,
            )
        if grouped and all(e.seq is grouped[0].seq for e in grouped):
            if later:
                return done(insert_before(text, later[0], value), later[0])
            return done(insert_after(text, grouped[-1], value), grouped[-1])
    accepted = [e for e in files if fallback(e)]
    if accepted:
        return done(insert_after(text, accepted[-1], value), accepted[-1])
    parts = _mapping_get(toc.node, "parts")
    if isinstance(parts, yaml.SequenceNode) and parts.value:
        return done(append_part(text, None, new_caption, value), None)
    chapters = [e for e in files if e.seq is _mapping_get(toc.node, "chapters")]
    if chapters:
        return done(insert_after(text, chapters[-1], value), chapters[-1])
    raise TocError("could not find where to add the page")
