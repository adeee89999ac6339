"""The ``talkbook`` command: add notes and talks, format and check the sources, show coverage.

Every command works on the repository that holds the current folder (or ``--root``).
Problems print as ``path:line: problem (fix)``, one per line, plain text when the output is
not a terminal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import click
import jinja2
import pandas as pd
from rich.console import Console
from rich.table import Table

from . import __version__
from . import check as check_mod
from . import scaffold as scaffold_mod
from . import toc as toc_mod
from .catalog import (
    DEFAULT_SCHEMA,
    ID_RE,
    Catalog,
    CatalogError,
    Problem,
    TableSchema,
    collect,
    conference_order,
    display_path,
    load_catalog,
    load_schema,
    read_table,
    schema_path,
    split_list,
    validate_table,
    write_table,
)
from .files import Project, ProjectError, WriteError, describe_os_error, write_atomic, write_lock
from .frontmatter import load_field_specs, read_page
from .generate import myst_escape
from .i18n import translator

KINDS = ("review", "memo", "essay")


def kind_label(cat: Catalog, kind: str) -> str:
    """A front-matter kind as the book's schema names it (e.g. its label in the book language)."""
    specs = load_field_specs(schema_path(cat.data_dir).parent)
    labels = next((s.get("labels", {}) for s in specs if s["name"] == "kind"), {})
    return str(labels.get(kind) or kind)


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # noqa: S701  (markdown, not HTML)
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.filters["myst"] = myst_escape
TEMPLATES.filters["yaml_str"] = lambda s: json.dumps(
    str(s), ensure_ascii=False
)  # JSON strings are YAML


def console(stderr: bool = False) -> Console:
    """Rich console that never wraps lines (one problem per line, grep-able)."""
    return Console(stderr=stderr, soft_wrap=True, highlight=False)


def fail(message: str, problems: list[Problem] | None = None) -> NoReturn:
    err = console(stderr=True)
    for p in problems or []:
        err.print(str(p), markup=False)
    raise click.ClickException(message)


class Context:
    def __init__(self, root: Path | None):
        self.root = root

    def project(self, near: Path | None = None) -> Project:
        try:
            return Project.at(self.root) if self.root else Project.find(near)
        except ProjectError as err:
            fail(str(err))

    def catalog(self, project: Project) -> Catalog:
        try:
            return load_catalog(project.data_dir)
        except CatalogError as err:
            fail("the talk catalog has problems; fix them first (`talkbook check`)", err.problems)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    envvar="TALKBOOK_ROOT",
    help="Repository root (default: the folder above the current one holding _toc.yml).",
)
@click.version_option(__version__, prog_name="talkbook")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """Write and check talkbook notes: new notes, catalog rows, formatting, checks, coverage."""
    ctx.obj = Context(root)


# --------------------------------------------------------------------------- new


def _split_ids(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for value in values:
        for item in re.split(r"[,\s]+", value):
            if item and item not in out:
                out.append(item)
    return out


def _closest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


@main.command()
@click.option(
    "--conference",
    "-c",
    help="Conference id from the catalog's conferences file (e.g. pycon-2024).",
)
@click.option("--day", "-d", type=click.IntRange(min=1), help="Conference day the note covers.")
@click.option(
    "--talk",
    "-t",
    "talks",
    multiple=True,
    help="Talk id from the catalog's talks file; repeat (or comma-separate) for several.",
)
@click.option("--kind", "-k", type=click.Choice(KINDS), help="review, memo or essay.")
@click.option("--title", help="Page title (the # heading).")
@click.option(
    "--slug", help="File name without .md: book/notes/<slug>.md; lowercase, digits, hyphens."
)
@click.option("--date", help="Date the source note gives (YYYY-MM-DD); leave out when unknown.")
@click.option(
    "--language",
    type=click.Choice(["ko", "en"]),
    help="Language of the page (default: the book's `language`).",
)
@click.option(
    "--description",
    help="One sentence for link previews (default: a TODO placeholder `talkbook check` flags).",
)
@click.option("--toc/--no-toc", default=True, show_default=True, help="Add the page to _toc.yml.")
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Prompt for missing values (default: when run in a terminal).",
)
@click.pass_obj
def new(
    obj: Context,
    conference,
    day,
    talks,
    kind,
    title,
    slug,
    date,
    language,
    description,
    toc,
    interactive,
) -> None:
    """Create a note page from the template and add it to _toc.yml.

    \b
    Example:
      talkbook new --kind memo --conference pycon-2024 --day 2 \\
        --talk pycon-2024-typing --talk pycon-2024-packaging --slug pycon-2024-day2-extra
    """
    project = obj.project()
    cat = obj.catalog(project)
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    out = console()
    talk_ids = _split_ids(talks)
    missing: list[str] = []

    if kind is None:
        if interactive:
            kind = click.prompt("Kind", type=click.Choice(KINDS), default="memo")
        else:
            missing.append("--kind")

    unknown = [t for t in talk_ids if not cat.has_talk(t)]
    if unknown:
        lines = [f"unknown talk id {t!r}" + _closest_talks(cat, t) for t in unknown]
        fail(
            "; ".join(lines)
            + f" — ids are listed in {display_path(cat.data_dir / cat.schema['talks'].file)}"
        )

    if conference is None and talk_ids:
        confs = {cat.talk(t)["conference"] for t in talk_ids}
        if len(confs) == 1:
            conference = confs.pop()
    if conference is None and kind in ("review", "memo"):
        if interactive:
            _print_conferences(out, cat)
            conference = click.prompt(
                "Conference id", type=click.Choice(list(cat.conferences["id"])), show_choices=False
            )
        else:
            missing.append("--conference")
    if conference is not None and conference not in set(cat.conferences["id"]):
        hint = _closest(conference, list(cat.conferences["id"]))
        listed = display_path(cat.data_dir / cat.schema["conferences"].file)
        fail(f"unknown conference id {conference!r}{hint} — ids are listed in {listed}")

    if day is None and talk_ids:
        days = {cat.talk(t)["day"] for t in talk_ids}
        if len(days) == 1 and days != {""}:
            day = int(days.pop())
    if interactive and conference and not talk_ids:
        if day is None:
            day = click.prompt(
                "Day (empty: not one day)",
                default="",
                show_default=False,
                value_proc=lambda v: int(v) if v.strip() else None,
            )
        choices = [t for t in cat.talks_of(conference) if day is None or t["day"] == str(day)]
        _print_talks(out, choices)
        answer = click.prompt(
            "Talks (numbers or ids, comma-separated; empty: none)", default="", show_default=False
        )
        for item in _split_ids((answer,)):
            if item.isdigit() and 1 <= int(item) <= len(choices):
                talk_ids.append(choices[int(item) - 1]["id"])
            elif cat.has_talk(item):
                talk_ids.append(item)
            else:
                fail(f"unknown talk {item!r}{_closest_talks(cat, item)}")
    if not talk_ids and kind in ("review", "memo") and not interactive:
        missing.append("--talk")
    if missing:
        raise click.UsageError(
            f"missing {', '.join(missing)} (or run `talkbook new` in a terminal to be asked)"
        )

    for t in talk_ids:
        talk = cat.talk(t)
        if conference and talk["conference"] != conference:
            fail(
                f"talk {t!r} is from {talk['conference']}, not {conference} (a note covers "
                "one conference; drop it or change --conference)"
            )
        if day is not None and talk["day"] and talk["day"] != str(day):
            fail(
                f"talk {t!r} is on day {talk['day']}, not day {day} (drop --day for a note "
                "that spans days)"
            )
    if date is not None and not _is_date(date):
        fail(f"--date {date!r} is not a date (write YYYY-MM-DD, or leave it out when unknown)")

    conf = cat.conference(conference) if conference else None
    language = language or project.language
    _ = translator(language)
    default_title = _default_title(cat, conf, day, kind)
    if title is None:
        title = click.prompt("Title", default=default_title) if interactive else default_title
    if not title:
        raise click.UsageError("missing --title")
    default_slug = _default_slug(conference, day, kind)
    if slug is None:
        if interactive:
            slug = click.prompt("Slug (file name)", default=default_slug or None)
        elif default_slug:
            slug = default_slug
        else:
            raise click.UsageError(
                "missing --slug (an essay has no conference to name the file after)"
            )
    if not ID_RE.match(slug):
        fail(
            f"--slug {slug!r} is not valid: use lowercase letters, digits and single hyphens "
            f"(e.g. {default_slug or 'my-essay'})"
        )

    path = project.notes_dir / f"{slug}.md"
    if path.exists():
        fail(
            f"{display_path(path)} already exists; `talkbook new` never overwrites a file "
            "(choose another --slug, or edit the existing page)"
        )
    docname = project.rel(path).removesuffix(".md")

    tags: list[str] = []
    for t in talk_ids:
        for tag in split_list(cat.talk(t)["tags"]):
            if tag not in tags:
                tags.append(tag)
    text = TEMPLATES.get_template("note.md.jinja").render(
        _=_,
        kind=kind,
        conference=conference,
        day=day,
        date=date,
        language=language,
        tags=tags,
        talks=[cat.talk(t) for t in talk_ids],
        description=description
        or _("TODO: sum this note up in one sentence (shown in link previews)."),
        title=title,
    )

    try:
        with write_lock(project.root):
            new_toc = _write_new_page(project, cat, path, text, docname, conference, kind, toc)
    except WriteError as err:
        fail(str(err))
    out.print(f"created {display_path(path)}", markup=False)
    if new_toc is not None:
        line = next(e.line for e in toc_mod.parse(new_toc)[0].files if e.value == docname)
        out.print(
            f"added `- file: {docname}` to {display_path(project.toc_path)}:{line}", markup=False
        )
    out.print(
        "next: write the note, replace the TODO description, then run `talkbook check`",
        markup=False,
    )


def _write_new_page(
    project: Project,
    cat: Catalog,
    path: Path,
    text: str,
    docname: str,
    conference: str | None,
    kind: str,
    toc: bool,
) -> str | None:
    """Create the page and add it to the toc (under the write lock): both or neither.
    Returns the new toc text (None with --no-toc)."""
    toc_text = new_toc = None
    if toc:
        try:
            toc_text = project.toc_path.read_text(encoding="utf-8")
            new_toc = _toc_with(project, cat, toc_text, docname, conference, kind)
        except (OSError, UnicodeDecodeError, toc_mod.TocError) as err:
            fail(
                f"cannot add the page to _toc.yml: {err} — nothing was written "
                f"(fix _toc.yml, or use --no-toc and add `- file: {docname}` yourself)"
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"), exclusive=True)
    except FileExistsError:
        fail(f"{display_path(path)} already exists; `talkbook new` never overwrites a file")
    except OSError as err:
        raise WriteError(describe_os_error(path, err) + "; nothing was written") from None
    if new_toc is not None:
        try:
            if project.toc_path.read_text(encoding="utf-8") != toc_text:
                raise OSError("_toc.yml changed while the page was being written")
            write_atomic(project.toc_path, new_toc.encode("utf-8"))
        except OSError as err:
            with contextlib.suppress(OSError):
                path.unlink()
            reason = describe_os_error(project.toc_path, err) if err.errno else str(err)
            raise WriteError(f"{reason}; the page was not created") from None
    return new_toc


def _is_date(value: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(
            dt.date.fromisoformat(value)
        )
    except ValueError:
        return False


def _closest_talks(cat: Catalog, talk_id: str) -> str:
    close = cat.closest_talks(talk_id)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _default_title(cat: Catalog, conf: dict[str, str] | None, day: int | None, kind: str) -> str:
    """<conference> <day as the schema displays it> <kind label>, e.g. "PyCon 2024 Day 1 Review"."""
    if conf is None:
        return ""
    column = cat.schema["talks"].column("day")
    day_part = f" {column.display.format(value=day) if column else day}" if day else ""
    return f"{cat.title('conferences', conf)}{day_part} {kind_label(cat, kind)}"


def _default_slug(conference: str | None, day: int | None, kind: str) -> str:
    if not conference:
        return ""
    return f"{conference}-day{day}-{kind}" if day else f"{conference}-{kind}"


def _print_conferences(out: Console, cat: Catalog) -> None:
    table = Table(title="conferences")
    for col in ("id", "name", "year"):
        table.add_column(col)
    for conf in cat.conferences.to_dict("records"):
        table.add_row(conf["id"], conf["name"], conf["year"])
    out.print(table)


def _print_talks(out: Console, talks: list[dict[str, str]]) -> None:
    table = Table(title="talks")
    for col in ("#", "id", "day", "title"):
        table.add_column(col)
    for i, t in enumerate(talks, start=1):
        table.add_row(str(i), t["id"], t["day"], t["title"])
    out.print(table)


def _toc_with(
    project: Project, cat: Catalog, text: str, docname: str, conference: str | None, kind: str
) -> str:
    """The toc text with ``docname`` added next to the notes of its conference."""
    meta_cache: dict[str, dict[str, Any]] = {}

    def meta(entry: toc_mod.Entry) -> dict[str, Any]:
        if entry.value not in meta_cache:
            path = toc_mod.resolve(project.root, entry.value)
            fm = read_page(path)[0] if path is not None and path.suffix == ".md" else None
            meta_cache[entry.value] = fm.talkbook if fm is not None else {}
        return meta_cache[entry.value]

    def group_of(entry: toc_mod.Entry) -> str | None:
        conf = meta(entry).get("conference")
        return str(conf) if conf else None

    order = {cid: i for cid, i in conference_order(cat.conferences).items()}

    def group_order(conf: str) -> tuple:
        return (order.get(conf, len(order)), conf)

    def group_names(conf: str) -> list[str]:
        return [cat.conference(conf)["name"], conf] if conf in order else [conf]

    def fallback(entry: toc_mod.Entry) -> bool:
        return meta(entry).get("kind") == kind if kind == "essay" else False

    caption = (
        cat.title("conferences", cat.conference(conference))
        if conference
        else kind_label(cat, "essay")
    )
    return toc_mod.add_page(
        text,
        docname,
        group_of=group_of,
        group=conference,
        group_order=group_order,
        group_names=group_names,
        new_caption=caption,
        fallback=fallback,
    )


# --------------------------------------------------------------------------- catalog rows


def _write_table_atomic(path: Path, rows, table, order) -> None:
    """``write_table`` into a scratch file, then the bytes atomically into place (a unique
    temporary name: never a half-written catalog, never two writers on one temp file)."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / path.name
        write_table(scratch, rows, table, order)
        data = scratch.read_bytes()
    try:
        write_atomic(path, data)
    except OSError as err:
        raise WriteError(describe_os_error(path, err) + "; the file was not changed") from None


def _add_row_locked(project: Project, key: str, values: dict[str, str]) -> None:
    frames, schema, problems = collect(project.data_dir)
    table = schema[key]
    path = project.data_dir / table.file
    shown = display_path(path)
    blocking = [p for p in problems if "out of order" not in p.message]
    if blocking:
        fail(
            "the catalog has problems; fix them before adding rows (nothing was written to "
            f"{shown})",
            blocking,
        )
    unknown = sorted(set(values) - set(table.names))
    if unknown:
        fail(f"{shown} has no column {', '.join(unknown)} (columns: {', '.join(table.names)})")
    row = {name: (values.get(name) or "").strip() for name in table.names}
    df = frames[key]
    marker = int(df["_line"].max() if len(df) else 1) + 1_000_000  # a line no real row has
    combined = pd.concat([df, pd.DataFrame([{**row, "_line": marker}])], ignore_index=True)
    known = {k: set(frames[k]["id"].dropna()) for k in frames if k != key}
    row_problems = [
        Problem(shown, 0, p.column, p.message, p.fix)
        for p in validate_table(combined, table, shown, known)
        if p.line == marker
    ]
    if (
        key == "talks"
        and row["id"]
        and row["conference"]
        and not row["id"].startswith(row["conference"] + "-")
    ):
        row_problems.append(
            Problem(
                shown,
                0,
                "id",
                f"{row['id']!r} does not start with its conference id",
                f"name it {row['conference']}-<subject>",
            )
        )
    if row_problems:
        fail(f"the new row is invalid; {shown} was not changed", row_problems)
    before = path.read_bytes()
    rows = [*df.drop(columns="_line").to_dict("records"), row]
    confs = (
        frames["conferences"]
        if key != "conferences"
        else pd.concat([frames["conferences"], pd.DataFrame([row])])
    )
    _write_table_atomic(path, rows, table, conference_order(confs))
    _, _, after = collect(project.data_dir)
    if after:  # cannot happen after the checks above; never leave a broken catalog behind
        write_atomic(path, before)
        fail(f"writing the row would break the catalog; {shown} was restored", after)
    line = next(
        (r["_line"] for r in read_table(path, table)[0].to_dict("records") if r["id"] == row["id"]),
        None,
    )
    if line is None:  # the file changed under us (a writer that does not take the lock)
        fail(f"{shown}: the row {row['id']!r} is not in the file after writing it (run again)")
    console().print(f"added {row['id']!r} to {shown}:{line}", markup=False)


def _next_order(project: Project, conference: str, day: str) -> str:
    try:
        frames, _, _ = collect(project.data_dir)
        talks = frames["talks"]
        same = talks[(talks["conference"] == conference) & (talks["day"].fillna("") == day)]
        orders = pd.to_numeric(same["order"], errors="coerce").dropna()
        return str(int(orders.max()) + 1) if len(orders) else "1"
    except Exception:  # noqa: BLE001  (a broken catalog is reported when the row is added)
        return ""


class AddRowCommand(click.Command):
    """``add-talk`` / ``add-conference`` / ``add-tag``: one option per column of the book's
    schema (``--title-en``, list columns repeatable), help from the schema's ``help``, and a
    prompt for each missing required column when run in a terminal."""

    def __init__(self, table: str, kind: str) -> None:
        super().__init__(
            name=f"add-{kind}",
            callback=self.add,
            help=f"Add a row to the catalog's {table} file (validated, in canonical order); "
            "the options are the columns of the book's schema.",
        )
        self.table = table

    def schema(self, ctx: click.Context) -> TableSchema:
        obj = ctx.find_object(Context)
        try:
            project = Project.at(obj.root) if obj and obj.root else Project.find(None)
            return load_schema(project.data_dir)[self.table]
        except (ProjectError, CatalogError, KeyError):
            return load_schema(DEFAULT_SCHEMA.parent)[self.table]

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params: list[click.Parameter] = []
        for col in self.schema(ctx).columns:
            flag = "--" + col.name.replace("_", "-")
            names = [flag]
            many = col.type in ("list", "urls")
            if many and col.name.endswith("s"):
                names.append(flag[:-1])  # --tag as well as --tags
            help_text = col.help + (" (required)" if col.required else "")
            if many:
                help_text += " Repeatable."
            if col.default:
                help_text += f" Default: {col.default}."
            params.append(
                click.Option([*names, col.name], multiple=many, default=None, help=help_text)
            )
        params.append(
            click.Option(
                ["--interactive/--no-interactive"],
                "interactive",
                default=None,
                help="Prompt for missing required columns (default: when run in a terminal).",
            )
        )
        return [*params, *super().get_params(ctx)]

    def add(self, **options: object) -> None:
        ctx = click.get_current_context()
        table = self.schema(ctx)
        project = ctx.find_object(Context).project()
        interactive = options.pop("interactive")
        if interactive is None:
            interactive = sys.stdin.isatty() and sys.stdout.isatty()
        values: dict[str, str] = {}
        for col in table.columns:
            raw = options.get(col.name)
            if col.type in ("list", "urls"):
                items = [
                    i.strip()
                    for v in raw or ()
                    for i in re.split(r"[;,]" if col.type == "list" else r"\s+", v)
                ]
                value = (";" if col.type == "list" else " ").join(i for i in items if i)
            else:
                value = col.default if raw is None else str(raw)
            if not value and col.required and interactive:
                value = click.prompt(f"{col.label or col.name} ({col.help})")
            values[col.name] = value
        missing = [
            "--" + c.name.replace("_", "-")
            for c in table.columns
            if c.required
            and not values[c.name]
            and not (c.name == "order" and self.table == "talks")
        ]
        if missing:
            raise click.UsageError(f"missing {', '.join(missing)}")
        try:
            with write_lock(project.root):  # the default order reads the file it then writes
                if self.table == "talks" and "order" in values and not values["order"]:
                    day = values.get("day", "")
                    values["order"] = (
                        _next_order(project, values.get("conference", ""), day) if day else ""
                    )
                _add_row_locked(project, self.table, values)
        except WriteError as err:
            fail(str(err))


for _table, _kind in (("talks", "talk"), ("conferences", "conference"), ("tags", "tag")):
    main.add_command(AddRowCommand(_table, _kind))


# --------------------------------------------------------------------------- fmt


@main.command()
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Change nothing; exit 1 if a file would be rewritten.",
)
@click.pass_obj
def fmt(obj: Context, check_only: bool) -> None:
    """Rewrite the catalog CSVs in canonical order and format."""
    project = obj.project()
    try:
        with write_lock(project.root):
            _fmt_locked(project, check_only)
    except WriteError as err:
        fail(str(err))


def _fmt_locked(project: Project, check_only: bool) -> None:
    frames, schema, problems = collect(project.data_dir)
    unreadable = [p for p in problems if any(u in p.message for u in check_mod.UNREADABLE)]
    if unreadable:
        fail("cannot format: some catalog files cannot be read", unreadable)
    order = conference_order(frames["conferences"])
    out = console()
    changed = []
    with tempfile.TemporaryDirectory() as tmp:
        for key, table in schema.items():
            path = project.data_dir / table.file
            rows = frames[key].drop(columns="_line").to_dict("records")
            scratch = Path(tmp) / table.file
            write_table(scratch, rows, table, order)
            if scratch.read_bytes() == path.read_bytes():
                continue
            changed.append(display_path(path))
            if not check_only:
                try:
                    write_atomic(path, scratch.read_bytes())
                except OSError as err:
                    raise WriteError(describe_os_error(path, err)) from None
    verb = "would reformat" if check_only else "reformatted"
    for shown in changed:
        out.print(f"{verb} {shown}", markup=False)
    if not changed:
        out.print(f"{len(schema)} catalog files already formatted", markup=False)
    elif check_only:
        out.print("run `talkbook fmt` to rewrite them", markup=False)
        sys.exit(1)


# --------------------------------------------------------------------------- check


def parse_size(value: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", value)
    if not m:
        raise click.BadParameter(f"{value!r} is not a size such as 1MB, 500kB or 2000000")
    scale = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}[m[2].lower()]
    return int(float(m[1]) * scale)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--max-page-size", default="1MB", show_default=True, help="Size limit for pages (.md, .ipynb)."
)
@click.option(
    "--max-file-size",
    default="5MB",
    show_default=True,
    help="Size limit for other files under book/.",
)
@click.pass_obj
def check(obj: Context, paths: tuple[Path, ...], max_page_size: str, max_file_size: str) -> None:
    """Check notes, catalog and toc without building the book (a few seconds).

    With PATHS, only problems in those files or folders are shown (plus catalog problems).
    Exits 1 when anything fails.
    """
    project = obj.project(paths[0] if paths else None)
    settings = check_mod.Settings(parse_size(max_page_size), parse_size(max_file_size))
    report = check_mod.run(project, paths, settings)
    out = console()
    for problem in sorted(report.problems, key=lambda p: (p.path, p.line)):
        out.print(str(problem), markup=False, style="red" if out.is_terminal else None)
    for note in report.notes:
        out.print(f"note: {note}", markup=False)
    where = f"{report.pages} pages, {report.talks} talks checked in {report.seconds:.2f} s"
    if report.problems:
        n, files = len(report.problems), report.files
        out.print(
            f"talkbook check: {n} problem{'s' if n != 1 else ''} "
            f"in {files} file{'s' if files != 1 else ''} ({where})",
            markup=False,
            style="bold red" if out.is_terminal else None,
        )
        sys.exit(1)
    out.print(
        f"talkbook check: no problems ({where})",
        markup=False,
        style="bold green" if out.is_terminal else None,
    )


# --------------------------------------------------------------------------- init


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--language",
    type=click.Choice(scaffold_mod.LANGUAGES),
    default="en",
    show_default=True,
    help="Language of the book and of the texts written for it.",
)
@click.option("--title", help="Book title (default: the language's generic title).")
@click.option("--author", help="Author shown in the footer (default: '<title> contributors').")
@click.option(
    "--repository-url",
    help="e.g. https://github.com/you/notes: edit/issue/source links, Pages address.",
)
@click.option(
    "--talkbook-spec",
    help="Where the book's Makefile installs the kit from: a pip requirement or a path "
    f"(default: talkbook=={__version__}).",
)
def init(directory: Path, language, title, author, repository_url, talkbook_spec) -> None:
    """Create a new knowledge base in DIRECTORY (new or empty): config, toc, home page, empty
    catalog, catalog page, an example note, Makefile, CI, pre-commit and a test.

    \b
    Example:
      talkbook init my-notes --language ko --title "My conference notes"
    """
    options = scaffold_mod.Options(language, title, author, repository_url, talkbook_spec)
    try:
        scaffold_mod.create(directory, options)
    except scaffold_mod.InitError as err:
        error = click.ClickException(str(err))
        error.exit_code = 2  # a usage problem: nothing was written
        raise error from None
    console().print(scaffold_mod.next_steps(str(directory), options), markup=False, end="")


# --------------------------------------------------------------------------- stats


@main.command()
@click.option("--missing", is_flag=True, help="Also list the talks that no note covers yet.")
@click.pass_obj
def stats(obj: Context, missing: bool) -> None:
    """Coverage per conference: talks with and without notes (from front matter `talks`)."""
    project = obj.project()
    cat = obj.catalog(project)
    covered = check_mod.coverage(project, cat)
    table = Table(title="talkbook coverage")
    table.add_column("conference")
    table.add_column("talks", justify="right")
    table.add_column("with notes", justify="right")
    table.add_column("without", justify="right")
    table.add_column("coverage", justify="right")
    total = with_notes = 0
    for conf in cat.conferences.to_dict("records"):
        talks = cat.talks_of(conf["id"])
        n = sum(1 for t in talks if covered[t["id"]])
        total += len(talks)
        with_notes += n
        table.add_row(
            f"{conf['name']} ({conf['id']})",
            str(len(talks)),
            str(n),
            str(len(talks) - n),
            _pct(n, len(talks)),
        )
    table.add_section()
    table.add_row(
        "total", str(total), str(with_notes), str(total - with_notes), _pct(with_notes, total)
    )
    out = console()
    out.print(table)
    if missing:
        gaps = [t for t in cat.talk_ids if not covered[t]]
        out.print("talks without notes:" if gaps else "every talk has a note", markup=False)
        for t in gaps:
            out.print(f"  {t}", markup=False)


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}%" if d else "-"


if __name__ == "__main__":  # pragma: no cover
    main()
