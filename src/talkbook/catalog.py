"""The talk catalog in ``data/``: schema, loading, validation and canonical serialisation.

Everything about the CSV files is described once, in ``data/schema.yaml``; this module reads
that description and checks the files against it, reporting every problem at once as
``data/talks.csv:LINE: column: problem (fix)``.

Reading and checking work on plain rows (dicts of strings) with the standard library: a build
loads the catalog on every run, and importing pandas alone cost more than reading and checking
a catalog of a few thousand rows. pandas is imported only by the functions that hand
DataFrames to callers (``read_table``, ``collect``, the ``Catalog`` table attributes) or take
them (``write_table``, ``conference_order`` and friends, used by the CLI).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .yamlsafe import safe_load

if TYPE_CHECKING:  # pandas is imported where DataFrames are made or taken (see above)
    import pandas as pd

Row = dict[str, Any]  # one CSV row: column -> stripped cell; "_line" -> its line in the file

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
INT_RE = re.compile(r"^[0-9]+$")
DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:/(\d{4}-\d{2}-\d{2}))?$")
TABLES = ("conferences", "tags", "talks")  # load order: talks refer to the other two


ColumnType = Literal["id", "str", "int", "url", "urls", "date", "enum", "list", "ref"]


class Column(BaseModel):
    """One CSV column as the schema describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: ColumnType
    required: bool = False
    unique: bool = False
    values: tuple[str, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)  # enum value -> text shown
    ref: str | None = None
    help: str = ""
    label: str = ""  # the field's name on cards and pages
    show: tuple[Literal["card", "page", "catalog"], ...] = ()
    display: str = "{value}"  # how a value reads, e.g. "Day {value}"
    empty: str = ""  # what to show when the cell is empty (nothing when unset)
    pages: bool = False  # each distinct value gets a generated page (e.g. speakers)
    default: str = ""  # the value `talkbook add-*` writes when the option is left out


class TableSchema(BaseModel):
    """One CSV file: its columns, canonical row order and the columns pages are named by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = ""
    file: str
    order_by: tuple[str, ...]
    title: str = "id"  # column giving a row's page title
    subtitle: str = ""  # column shown under the title
    summary: str = ""  # column used as the page's description
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @model_validator(mode="after")
    def _columns_exist(self) -> TableSchema:
        names = [c.name for c in self.columns]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"column {dup[0]!r} is declared twice")
        for what in ("title", "subtitle", "summary"):
            value = getattr(self, what)
            if value and value not in names:
                raise ValueError(f"{what}: {value!r} is not a column of this table")
        for name in self.order_by:
            if name not in names:
                raise ValueError(f"order_by: {name!r} is not a column of this table")
        paged = [c.name for c in self.columns if c.pages]
        if len(paged) > 1:
            raise ValueError(f"only one column may have pages, not {', '.join(paged)}")
        return self


@dataclass(frozen=True)
class Problem:
    """A single validation failure, printable as ``path:line: column: problem (fix)``."""

    path: str
    line: int
    column: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        col = f"{self.column}: " if self.column else ""
        fix = f" ({self.fix})" if self.fix else ""
        return f"{where}{col}{self.message}{fix}"


class CatalogError(Exception):
    """Raised when the catalog has problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        n = len(problems)
        head = f"the talk catalog has {n} problem{'s' if n != 1 else ''}:"
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))


class Catalog:
    """The validated catalog: the rows of each file (all cells are strings), by id.

    Built from plain rows (``from_rows``, what builds use) or from DataFrames (the CLI's
    checks). ``conferences``, ``tags`` and ``talks`` are DataFrames made on first use, so a
    build that only reads rows never imports pandas."""

    def __init__(
        self,
        data_dir: Path,
        conferences: Any,
        tags: Any,
        talks: Any,
        schema: dict[str, TableSchema] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.schema = schema or {}
        self._frames: dict[str, Any] = {}
        tables = {"conferences": conferences, "tags": tags, "talks": talks}
        by_id = {}
        for name, table in tables.items():
            if isinstance(table, list):
                rows = table
            else:  # a DataFrame
                self._frames[name] = table
                rows = table.to_dict("records")
            by_id[name] = {r["id"]: r for r in rows}
        self._confs, self._tags, self._talks = (
            by_id["conferences"],
            by_id["tags"],
            by_id["talks"],
        )

    @classmethod
    def from_rows(
        cls, data_dir: Path, rows: dict[str, list[dict[str, str]]], schema: dict[str, TableSchema]
    ) -> Catalog:
        return cls(data_dir, rows["conferences"], rows["tags"], rows["talks"], schema)

    def __repr__(self) -> str:
        return f"Catalog({str(self.data_dir)!r}, {len(self._talks)} talks)"

    def _table_frame(self, table: str) -> pd.DataFrame:
        if table not in self._frames:
            spec = self.schema.get(table)
            rows = self.rows(table)
            columns = spec.names if spec else list(rows[0]) if rows else ["id"]
            self._frames[table] = _frame(rows, columns)
        return self._frames[table]

    @property
    def conferences(self) -> pd.DataFrame:
        return self._table_frame("conferences")

    @property
    def tags(self) -> pd.DataFrame:
        return self._table_frame("tags")

    @property
    def talks(self) -> pd.DataFrame:
        return self._table_frame("talks")

    def count(self, table: str) -> int:
        """Number of rows of a table (no DataFrame made)."""
        return len(self.rows_by_id(table))

    def talk(self, talk_id: str) -> dict[str, str]:
        return self._talks[talk_id]

    def has_talk(self, talk_id: str) -> bool:
        return talk_id in self._talks

    def conference(self, conf_id: str) -> dict[str, str]:
        return self._confs[conf_id]

    def tag(self, tag_id: str) -> dict[str, str]:
        return self._tags[tag_id]

    @property
    def talk_ids(self) -> list[str]:
        return list(self._talks)

    def rows_by_id(self, table: str) -> dict[str, dict[str, str]]:
        return {"talks": self._talks, "conferences": self._confs, "tags": self._tags}[table]

    def rows(self, table: str) -> list[dict[str, str]]:
        """Every row of a table, in canonical order."""
        by_id = {"talks": self._talks, "conferences": self._confs, "tags": self._tags}[table]
        return list(by_id.values())

    def title(self, table: str, row: dict[str, str]) -> str:
        """A row's display title: the column the schema names as ``title`` (else its id)."""
        spec = self.schema.get(table)
        column = spec.title if spec else "id"
        return row.get(column) or row["id"]

    def ref_column(self, table: str, target: str) -> Column | None:
        """The first column of ``table`` that refers to rows of ``target``."""
        spec = self.schema.get(table)
        return next((c for c in spec.columns if c.ref == target), None) if spec else None

    def refs(self, table: str, row: dict[str, str], target: str) -> list[str]:
        """Ids of ``target`` rows that ``row`` refers to (one or a list)."""
        col = self.ref_column(table, target)
        if col is None:
            return []
        value = row.get(col.name, "") or ""
        return split_list(value) if col.type == "list" else ([value] if value else [])

    def conference_of(self, talk: dict[str, str]) -> dict[str, str] | None:
        ids = self.refs("talks", talk, "conferences")
        return self._confs.get(ids[0]) if ids else None

    def talks_of(self, conf_id: str) -> list[dict[str, str]]:
        return [t for t in self._talks.values() if conf_id in self.refs("talks", t, "conferences")]

    def talks_tagged(self, tag_id: str) -> list[dict[str, str]]:
        return [t for t in self._talks.values() if tag_id in self.refs("talks", t, "tags")]

    @property
    def people_column(self) -> Column | None:
        """The talks column whose values get pages of their own (e.g. speakers)."""
        spec = self.schema.get("talks")
        return next((c for c in spec.columns if c.pages), None) if spec else None

    def people(self) -> dict[str, str]:
        """Slug -> name of every value of the people column, in first-seen order."""
        if "_people" not in self.__dict__:
            col, out, seen = self.people_column, {}, {}
            for talk in self._talks.values() if col else []:
                value = talk.get(col.name, "") or ""
                for name in split_list(value) if col.type == "list" else [value.strip()]:
                    if name and name not in seen:
                        slug = base = slugify(name)
                        n = 1
                        while slug in out or slug == "index":  # index: the list page
                            n += 1
                            slug = f"{base}-{n}"
                        seen[name] = slug
                        out[slug] = name
            self.__dict__["_people"] = out
            self.__dict__["_people_slugs"] = seen
        return self.__dict__["_people"]

    def person_slug(self, name: str) -> str:
        self.people()
        return self.__dict__["_people_slugs"][name]

    def talks_by(self, slug: str) -> list[dict[str, str]]:
        col, name = self.people_column, self.people().get(slug)
        if col is None or name is None:
            return []
        return [
            t
            for t in self._talks.values()
            if name
            in (
                split_list(t.get(col.name, "") or "")
                if col.type == "list"
                else [t.get(col.name, "").strip()]
            )
        ]

    def closest_talks(self, talk_id: str, n: int = 3) -> list[str]:
        return difflib.get_close_matches(talk_id, self.talk_ids, n=n, cutoff=0.5)


def slugify(text: str) -> str:
    """A URL-safe name for any script: lowercase words joined by hyphens (letters kept)."""
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "x"


def split_list(value: str) -> list[str]:
    """Split a ``;``-separated cell into its items."""
    return [v.strip() for v in value.split(";") if v.strip()]


DEFAULT_SCHEMA = Path(__file__).parent / "data" / "schema.yaml"


def schema_path(data_dir: Path) -> Path:
    """The book's ``schema.yaml``, or the kit's default when the book has none."""
    own = Path(data_dir) / "schema.yaml"
    return own if own.is_file() else DEFAULT_SCHEMA


def has_catalog(data_dir: Path) -> bool:
    """A book has a catalog when its data folder holds a schema or a talks file."""
    data_dir = Path(data_dir)
    return (data_dir / "schema.yaml").is_file() or (data_dir / "talks.csv").is_file()


_CACHE: dict[str, tuple[tuple, Catalog]] = {}


def cached_catalog(data_dir: Path) -> Catalog | None:
    """The validated catalog of ``data_dir`` (None when the book has none), loaded once per
    state of its files: builds and forked parallel readers share it without keeping it on
    the application. Raises :class:`CatalogError`."""
    data_dir = Path(data_dir)
    if not has_catalog(data_dir):
        return None
    stamp = tuple(
        (f.name, f.stat().st_mtime_ns, f.stat().st_size)
        for f in sorted(data_dir.iterdir())
        if f.suffix in (".csv", ".yaml") and f.is_file()
    )
    hit = _CACHE.get(str(data_dir))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    cat = load_catalog(data_dir)
    _CACHE[str(data_dir)] = (stamp, cat)
    return cat


def load_schema(data_dir: Path) -> dict[str, TableSchema]:
    """Read ``schema.yaml`` from ``data_dir`` (or the kit's default schema)."""
    path = schema_path(data_dir)
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise CatalogError(
            [
                Problem(
                    display_path(path),
                    line,
                    "",
                    f"cannot read the schema: {err}".split("\n")[0],
                    "fix the YAML",
                )
            ]
        ) from None
    if not isinstance(raw, dict):
        raise CatalogError(
            [
                Problem(
                    display_path(path),
                    1,
                    "",
                    "the schema must be a mapping of tables",
                    "see the kit's default schema",
                )
            ]
        )
    schema = {}
    shown = display_path(path)
    for key, spec in raw.items():
        if not isinstance(spec, dict) or "file" not in spec:
            continue  # e.g. front_matter, read by talkbook.frontmatter
        try:
            schema[key] = TableSchema(key=key, **spec)
        except (ValidationError, TypeError) as err:
            raise CatalogError([schema_problem(shown, key, err, spec)]) from None
    missing = [t for t in TABLES if t not in schema]
    if missing:
        raise CatalogError(
            [
                Problem(
                    shown,
                    0,
                    "",
                    f"no table {missing[0]!r}",
                    "declare it (see the kit's default schema)",
                )
            ]
        )
    return schema


def schema_problem(path: str, key: str, err: Exception, spec: dict | None = None) -> Problem:
    """A readable line for the first problem pydantic found in one table's description
    (columns named, not numbered: ``talks.columns.day.type``)."""
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        loc = list(first["loc"])
        if len(loc) > 1 and loc[0] == "columns" and isinstance(loc[1], int) and spec:
            column = (spec.get("columns") or [])[loc[1]]
            if isinstance(column, dict) and column.get("name"):
                loc[1] = column["name"]
        where = ".".join(str(p) for p in (key, *loc))
        return Problem(path, 0, where, first["msg"], "see the comments at the top of the schema")
    return Problem(path, 0, key, str(err), "see the comments at the top of the schema")


def display_path(path: Path) -> str:
    """Path as the user would type it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _frame(rows: list[Row], columns: list[str]) -> pd.DataFrame:
    """Rows as a DataFrame of strings with these columns (``_line`` kept as numbers)."""
    import pandas as pd

    cells = [c for c in columns if c != "_line"]
    df = pd.DataFrame([{c: r.get(c) for c in cells} for r in rows], columns=cells, dtype=str)
    if "_line" in columns:
        df["_line"] = [r["_line"] for r in rows]
    return df


def _records(df: Any) -> list[Row]:
    """A DataFrame's rows as dicts, empty cells as ""; plain rows are returned as they are."""
    if isinstance(df, list):
        return df
    return [
        {k: ("" if v is None or v != v else v) for k, v in r.items()}  # v != v: NaN
        for r in df.to_dict("records")
    ]


def read_table(path: Path, table: TableSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one CSV strictly; rows get a ``_line`` column with their line in the file."""
    rows, problems = read_rows(path, table)
    return _frame(rows, [*table.names, "_line"]), problems


def read_rows(path: Path, table: TableSchema) -> tuple[list[Row], list[Problem]]:
    """Read one CSV strictly into rows (schema columns, stripped cells, ``_line``)."""
    shown = display_path(path)
    empty: list[Row] = []
    if not path.exists():
        return empty, [
            Problem(
                shown, 0, "", "file not found", f"create it with the header {','.join(table.names)}"
            )
        ]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return empty, [
            Problem(
                shown,
                line,
                "",
                f"not UTF-8 (byte 0x{data[err.start]:02x})",
                "save the file as UTF-8",
            )
        ]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return empty, [
            Problem(shown, 1, "", "empty file", f"add the header {','.join(table.names)}")
        ]
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        return empty, [
            Problem(shown, 1, twice[0], "column appears twice in the header", "keep one of them")
        ]
    problems = []
    missing = [c for c in table.names if c not in header]
    extra = [c for c in header if c not in table.names]
    if missing:
        problems.append(
            Problem(
                shown,
                1,
                ",".join(missing),
                "missing column",
                "add it to the header; see data/schema.yaml",
            )
        )
    if extra:
        problems.append(
            Problem(
                shown,
                1,
                ",".join(extra),
                "unknown column",
                "remove it or declare it in data/schema.yaml",
            )
        )
    if missing or extra:
        return empty, problems
    rows: list[Row] = []
    start = reader.line_num + 1
    for record in reader:
        if not any(cell.strip() for cell in record):
            start = reader.line_num + 1
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    shown,
                    start,
                    "",
                    f"{len(record)} cells, expected {len(header)}",
                    "check commas and quoting",
                )
            )
        else:
            cells = dict(zip(header, (c.strip() for c in record), strict=True))
            rows.append({**{name: cells[name] for name in table.names}, "_line": start})
        start = reader.line_num + 1
    return rows, problems


def _check_value(col: Column, value: str) -> tuple[str, str] | None:
    """Problem and fix for one non-empty cell, or None when it is valid."""
    kind = col.type
    if kind == "id" and not ID_RE.match(value):
        return f"{value!r} is not a valid id", "use lowercase letters, digits and single hyphens"
    if kind == "int" and not INT_RE.match(value):
        return f"{value!r} is not a whole number", "write digits only, or leave it empty"
    if kind == "enum" and value not in col.values:
        return (
            f"{value!r} is not one of {', '.join(col.values)}",
            f"use one of: {', '.join(col.values)}",
        )
    if kind == "url" and not is_url(value):
        return f"{value!r} is not an http(s) URL", "write a full https:// URL, or leave it empty"
    if kind == "urls":
        bad = [u for u in value.split() if not is_url(u)]
        if bad:
            return (
                f"{bad[0]!r} is not an http(s) URL",
                "separate URLs with spaces; each must start with https://",
            )
    if kind == "date":
        m = DATE_RE.match(value)
        try:
            ok = bool(m) and all(dt.date.fromisoformat(d) for d in m.groups() if d)
        except ValueError:
            ok = False
        if not ok:
            return f"{value!r} is not a date", "write YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD"
    return None


def is_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host and no spaces."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"\s", value)


def validate_table(
    df: pd.DataFrame | list[Row], table: TableSchema, path: str, known: dict[str, set[str]]
) -> list[Problem]:
    """One invariant per check: required, type, unique, references (rows or a DataFrame)."""
    rows = _records(df)
    problems: list[Problem] = []
    for col in table.columns:
        cells = [(r["_line"], r.get(col.name) or "") for r in rows]
        filled = [(line, value) for line, value in cells if value.strip()]
        if col.required:
            for line, value in cells:
                if not value.strip():
                    problems.append(
                        Problem(path, line, col.name, "required value is empty", col.help)
                    )
        for line, value in filled:
            bad = _check_value(col, value)
            if bad:
                problems.append(Problem(path, line, col.name, *bad))
        if col.unique:
            first: dict[str, int] = {}
            for line, value in cells:
                if value not in first:
                    first[value] = line
                elif value.strip():
                    problems.append(
                        Problem(
                            path,
                            line,
                            col.name,
                            f"duplicate id {value!r}",
                            f"first defined on line {first[value]}; ids must be unique",
                        )
                    )
        if col.ref:
            targets = known.get(col.ref, set())
            for line, value in filled:
                items = split_list(value) if col.type == "list" else [value]
                for item in items:
                    if item not in targets:
                        close = difflib.get_close_matches(item, sorted(targets), n=1)
                        hint = f"did you mean {close[0]!r}? " if close else ""
                        problems.append(
                            Problem(
                                path,
                                line,
                                col.name,
                                f"unknown {col.ref} id {item!r}",
                                f"{hint}ids are listed in {Path(path).parent.as_posix()}/{col.ref}.csv",
                            )
                        )
    return problems


def _sort_key(table: TableSchema, conf_order: dict[str, int]):
    """Key that sorts rows canonically: numbers as numbers (not a number: 0), conferences
    by their position in ``conf_order`` (unknown ones last), other columns as text."""
    parts = []
    for name in table.order_by:
        col = next(c for c in table.columns if c.name == name)
        if col.type == "int":
            parts.append((name, lambda v: int(v) if INT_RE.match(v) else 0))
        elif col.ref == "conferences":
            parts.append((name, lambda v: conf_order.get(v, len(conf_order))))
        else:
            parts.append((name, str))
    return lambda row: tuple(conv(row.get(name) or "") for name, conv in parts)


def canonical_rows(rows: list[Row], table: TableSchema, conf_order: dict[str, int]) -> list[Row]:
    """Rows in the schema's ``order_by`` order (stable)."""
    return sorted(rows, key=_sort_key(table, conf_order))


def canonical_order(
    df: pd.DataFrame, table: TableSchema, conf_order: dict[str, int]
) -> pd.DataFrame:
    """A DataFrame's rows in the schema's ``order_by`` order."""
    key = _sort_key(table, conf_order)
    rows = _records(df)
    order = sorted(range(len(rows)), key=lambda i: key(rows[i]))
    return df.iloc[order]


def conference_order(
    conferences: pd.DataFrame | list[Row], table: TableSchema | None = None
) -> dict[str, int]:
    """Conference id -> its position in the conferences table's canonical order (talks that
    sort by conference sort by this, e.g. by year)."""
    if table is None:
        table = load_schema(DEFAULT_SCHEMA.parent)["conferences"]
    rows = canonical_rows(_records(conferences), table, {})
    return {row["id"]: i for i, row in enumerate(rows)}


def check_order(
    df: pd.DataFrame | list[Row], table: TableSchema, path: str, conf_order: dict[str, int]
) -> list[Problem]:
    """Rows must be in canonical order, so diffs stay small and merges clean."""
    rows = _records(df)
    expected = [r["_line"] for r in canonical_rows(rows, table, conf_order)]
    for row, wanted in zip(rows, expected, strict=True):
        if row["_line"] != wanted:
            keys = ", ".join(table.order_by)
            return [
                Problem(
                    path,
                    row["_line"],
                    "",
                    f"row is out of order (rows are sorted by {keys})",
                    "run `talkbook fmt` to sort the file",
                )
            ]
    return []


def collect_rows(
    data_dir: Path,
) -> tuple[dict[str, list[Row]], dict[str, TableSchema], list[Problem]]:
    """Read and validate every table; return rows (with ``_line``), schema and all problems."""
    data_dir = Path(data_dir)
    schema = load_schema(data_dir)
    tables: dict[str, list[Row]] = {}
    known: dict[str, set[str]] = {}
    problems: list[Problem] = []
    for key in TABLES:
        table = schema[key]
        path = data_dir / table.file
        rows, read_problems = read_rows(path, table)
        problems += read_problems
        shown = display_path(path)
        problems += validate_table(rows, table, shown, known)
        tables[key] = rows
        known[key] = {r["id"] for r in rows if r.get("id") is not None}
    conf_order = conference_order(tables["conferences"], schema["conferences"])
    for key in TABLES:
        if not any(p.path == display_path(data_dir / schema[key].file) for p in problems):
            problems += check_order(
                tables[key], schema[key], display_path(data_dir / schema[key].file), conf_order
            )
    return tables, schema, problems


def collect(
    data_dir: Path,
) -> tuple[dict[str, pd.DataFrame], dict[str, TableSchema], list[Problem]]:
    """Read and validate every table; return frames, schema and all problems."""
    tables, schema, problems = collect_rows(data_dir)
    frames = {k: _frame(rows, [*schema[k].names, "_line"]) for k, rows in tables.items()}
    return frames, schema, problems


def load_catalog(data_dir: Path | str) -> Catalog:
    """Load and validate the catalog, raising :class:`CatalogError` with every problem."""
    tables, schema, problems = collect_rows(Path(data_dir))
    if problems:
        raise CatalogError(problems)
    clean = {
        k: [{c: v for c, v in r.items() if c != "_line"} for r in rows]
        for k, rows in tables.items()
    }
    return Catalog.from_rows(Path(data_dir), clean, schema)


def _cell(value: Any) -> str:
    """A cell as text: missing or NaN is empty."""
    return "" if value is None or value != value else str(value)


def write_table(
    path: Path, rows: Iterable[dict[str, str]], table: TableSchema, conf_order: dict[str, int]
) -> None:
    """Write rows canonically: schema column order, sorted, minimal quoting, UTF-8, LF."""
    cells = [{name: _cell(row.get(name)) for name in table.names} for row in rows]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.names)
    writer.writerows(
        [row[name] for name in table.names] for row in canonical_rows(cells, table, conf_order)
    )
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8", newline="")
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written catalog
