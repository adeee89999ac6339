"""The talk catalog in ``data/``: schema, loading, validation and canonical serialisation.

Everything about the CSV files is described once, in ``data/schema.yaml``; this module reads
that description and checks the files against it, reporting every problem at once as
``data/talks.csv:LINE: column: problem (fix)``.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .yamlsafe import safe_load

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


@dataclass
class Catalog:
    """The validated catalog: one DataFrame per file (all cells are strings)."""

    data_dir: Path
    conferences: pd.DataFrame
    tags: pd.DataFrame
    talks: pd.DataFrame
    schema: dict[str, TableSchema] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._talks = {r["id"]: r for r in self.talks.to_dict("records")}
        self._confs = {r["id"]: r for r in self.conferences.to_dict("records")}
        self._tags = {r["id"]: r for r in self.tags.to_dict("records")}

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


def read_table(path: Path, table: TableSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one CSV strictly; rows get a ``_line`` column with their line in the file."""
    shown = display_path(path)
    empty = pd.DataFrame(columns=[*table.names, "_line"])
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
    rows, lines = [], []
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
            rows.append(dict(zip(header, (c.strip() for c in record), strict=True)))
            lines.append(start)
        start = reader.line_num + 1
    df = pd.DataFrame(rows, columns=header, dtype=str).reindex(columns=table.names)
    df["_line"] = lines
    return df, problems


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
    df: pd.DataFrame, table: TableSchema, path: str, known: dict[str, set[str]]
) -> list[Problem]:
    """One invariant per check: required, type, unique, references."""
    problems: list[Problem] = []
    for col in table.columns:
        values = df[col.name].fillna("")
        blank = values.str.strip() == ""
        if col.required:
            for line in df.loc[blank, "_line"]:
                problems.append(Problem(path, line, col.name, "required value is empty", col.help))
        for line, value in zip(df.loc[~blank, "_line"], values[~blank], strict=True):
            bad = _check_value(col, value)
            if bad:
                problems.append(Problem(path, line, col.name, *bad))
        if col.unique:
            dup = values.duplicated(keep="first") & ~blank
            first = dict(zip(values[~dup], df.loc[~dup, "_line"], strict=True))
            for line, value in zip(df.loc[dup, "_line"], values[dup], strict=True):
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
            for line, value in zip(df.loc[~blank, "_line"], values[~blank], strict=True):
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


def sort_key_frame(
    df: pd.DataFrame, table: TableSchema, conf_order: dict[str, int]
) -> pd.DataFrame:
    """Columns that sort rows canonically: numbers as numbers, conferences by (year, id)."""
    keys = pd.DataFrame(index=df.index)
    for name in table.order_by:
        col = next(c for c in table.columns if c.name == name)
        values = df[name].fillna("")
        if col.type == "int":
            keys[name] = pd.to_numeric(values, errors="coerce").fillna(0)
        elif col.ref == "conferences":
            keys[name] = values.map(conf_order).fillna(len(conf_order))
        else:
            keys[name] = values
    return keys


def canonical_order(
    df: pd.DataFrame, table: TableSchema, conf_order: dict[str, int]
) -> pd.DataFrame:
    """Rows in the schema's ``order_by`` order."""
    keys = sort_key_frame(df, table, conf_order)
    order = keys.sort_values(list(table.order_by), kind="stable").index
    return df.loc[order]


def conference_order(conferences: pd.DataFrame, table: TableSchema | None = None) -> dict[str, int]:
    """Conference id -> its position in the conferences table's canonical order (talks that
    sort by conference sort by this, e.g. by year)."""
    if table is None:
        table = load_schema(DEFAULT_SCHEMA.parent)["conferences"]
    if conferences.empty:
        return {}
    keys = sort_key_frame(conferences, table, {})
    order = keys.sort_values(list(table.order_by), kind="stable").index
    return {cid: i for i, cid in enumerate(conferences.loc[order, "id"])}


def check_order(
    df: pd.DataFrame, table: TableSchema, path: str, conf_order: dict[str, int]
) -> list[Problem]:
    """Rows must be in canonical order, so diffs stay small and merges clean."""
    if df.empty:
        return []
    expected = list(canonical_order(df, table, conf_order)["_line"])
    for actual, wanted in zip(df["_line"], expected, strict=True):
        if actual != wanted:
            keys = ", ".join(table.order_by)
            return [
                Problem(
                    path,
                    actual,
                    "",
                    f"row is out of order (rows are sorted by {keys})",
                    "run `talkbook fmt` to sort the file",
                )
            ]
    return []


def collect(
    data_dir: Path,
) -> tuple[dict[str, pd.DataFrame], dict[str, TableSchema], list[Problem]]:
    """Read and validate every table; return frames, schema and all problems."""
    data_dir = Path(data_dir)
    schema = load_schema(data_dir)
    frames: dict[str, pd.DataFrame] = {}
    known: dict[str, set[str]] = {}
    problems: list[Problem] = []
    for key in TABLES:
        table = schema[key]
        path = data_dir / table.file
        df, read_problems = read_table(path, table)
        problems += read_problems
        shown = display_path(path)
        problems += validate_table(df, table, shown, known)
        frames[key] = df
        known[key] = set(df["id"].dropna())
    conf_order = conference_order(frames["conferences"], schema["conferences"])
    for key in TABLES:
        if not any(p.path == display_path(data_dir / schema[key].file) for p in problems):
            problems += check_order(
                frames[key], schema[key], display_path(data_dir / schema[key].file), conf_order
            )
    return frames, schema, problems


def load_catalog(data_dir: Path | str) -> Catalog:
    """Load and validate the catalog, raising :class:`CatalogError` with every problem."""
    frames, schema, problems = collect(Path(data_dir))
    if problems:
        raise CatalogError(problems)
    clean = {k: v.drop(columns="_line").reset_index(drop=True) for k, v in frames.items()}
    return Catalog(Path(data_dir), clean["conferences"], clean["tags"], clean["talks"], schema)


def write_table(
    path: Path, rows: Iterable[dict[str, str]], table: TableSchema, conf_order: dict[str, int]
) -> None:
    """Write rows canonically: schema column order, sorted, minimal quoting, UTF-8, LF."""
    df = pd.DataFrame(list(rows), columns=table.names, dtype=str).fillna("")
    df = canonical_order(df, table, conf_order)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.names)
    writer.writerows(df[table.names].itertuples(index=False, name=None))
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8", newline="")
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written catalog
