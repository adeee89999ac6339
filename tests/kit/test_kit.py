"""The kit on books that are not this one: small Sphinx projects built in-process, strictly.

- a foreign book without ``data/`` builds under each extension alone and all together;
- a book with a small catalog builds with the HTML, dirhtml, singlehtml and LaTeX builders;
- an English book gets an English UI, a Korean one the Korean catalogue;
- generated pages are documents: in the search index, in the toctree, clashes refused.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import docutils_namespace

EXTENSIONS = ["talkbook.ext", "talkbook.search", "talkbook.meta", "talkbook.navcache"]
# every extension of the kit, each usable alone
ALL_EXTENSIONS = [
    *EXTENSIONS,
    "talkbook.safety",
    "talkbook.assets",
    "talkbook.mathml",
    "talkbook.dataout",
    "talkbook.feeds",
    "talkbook.notebooks",
]
HANGUL = re.compile(r"[\uac00-\ud7a3]+")

SCHEMA_FREE_PAGES = {
    "index": "# Home\n\nWelcome.\n\n```{toctree}\nguide\nnotes/first\n```\n",
    "guide": "# Guide\n\nHow to read this book.\n",
    "notes/first": "# First note\n\nA note about {doc}`/guide`.\n",
}

CONFERENCES = "id,name,series,year,dates,location,url,description\nconf-2024,Conf 2024,Conf,2024,,,,A conference.\n"
TAGS = "id,label,label_en,description\ndata,Data,,Data things.\nweb,Web,,Web things.\n"
TALKS = (
    "id,conference,day,order,kind,title,title_status,title_en,speakers,organization,"
    "slides_url,video_url,links,tags,summary\n"
    "conf-2024-pipelines,conf-2024,1,1,session,Streaming pipelines at scale,recorded,,,,,,,data,"
    "How a team moved batch jobs to streams.\n"
    "conf-2024-frontend,conf-2024,1,2,keynote,Fast pages,recorded,,Ada Lovelace;Grace Hopper,,,,,web;data,"
    "Pages that load quickly.\n"
)
CATALOG_PAGES = {
    "index": "# Home\n\nWelcome.\n\n```{toctree}\ncatalog\nnotes/first\n```\n",
    "catalog": "# Catalog\n\n```{talk-catalog}\n```\n",
    "notes/first": (
        "---\ntalkbook:\n  kind: review\n  conference: conf-2024\n  language: en\n"
        "  tags: [data]\n  talks: [conf-2024-pipelines]\n  description: A first note.\n---\n"
        "# First note\n\n## Streaming\n\n```{talk-card} conf-2024-pipelines\n```\n\n"
        "Also see {talk}`conf-2024-frontend`.\n"
    ),
}


def make_book(root: Path, pages: dict[str, str], catalog: bool, **conf: object) -> Path:
    src = root / "src"
    for name, text in pages.items():
        path = src / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if catalog:
        data = src / "data"
        data.mkdir()
        (data / "conferences.csv").write_text(CONFERENCES, encoding="utf-8")
        (data / "tags.csv").write_text(TAGS, encoding="utf-8")
        (data / "talks.csv").write_text(TALKS, encoding="utf-8")
    settings = {"extensions": ["myst_parser"], "exclude_patterns": ["_build", "data"], **conf}
    (src / "conf.py").write_text(
        "".join(f"{k} = {v!r}\n" for k, v in settings.items()), encoding="utf-8"
    )
    return src


def build(src: Path, builder: str = "html", **overrides: object) -> tuple[Path, str]:
    out = src.parent / f"out-{builder}"
    warnings = io.StringIO()
    with docutils_namespace():  # each app registers its nodes afresh (as sphinx.testing does)
        app = Sphinx(
            str(src),
            str(src),
            str(out),
            str(src.parent / f"doctrees-{builder}"),
            builder,
            confoverrides=overrides,
            status=None,
            warning=warnings,
            freshenv=True,
        )
        try:
            app.build()
        finally:
            # sphinx-sitemap keeps a multiprocessing Manager (a forked server process) on
            # the app; in a long test process it would outlive the build and hold up exit
            # (talkbook.meta.complete_sitemap swaps the proxy for a plain queue, keeping it)
            for proxy in (
                app.__dict__.get("sitemap_links"),
                app.__dict__.get("_talkbook_sitemap_proxy"),
            ):
                manager = getattr(proxy, "_manager", None)
                if manager is not None:
                    manager.shutdown()
    return out, warnings.getvalue()


@pytest.mark.parametrize(
    "extensions",
    [[e] for e in ALL_EXTENSIONS] + [ALL_EXTENSIONS],
    ids=[*ALL_EXTENSIONS, "all"],
)
def test_foreign_book_without_data_builds_cleanly(tmp_path: Path, extensions: list[str]) -> None:
    src = make_book(tmp_path, SCHEMA_FREE_PAGES, catalog=False, language="en")
    out, warnings = build(src, extensions=["myst_parser", *extensions])
    assert warnings == ""
    html = (out / "notes" / "first.html").read_text(encoding="utf-8")
    assert "First note" in html
    assert not HANGUL.search(html), HANGUL.findall(html)[:10]
    assert not (src / "talks").exists()  # no catalog, nothing generated


@pytest.mark.parametrize("builder", ["html", "dirhtml", "singlehtml", "latex"])
def test_book_with_catalog_builds_with_every_builder(tmp_path: Path, builder: str) -> None:
    src = make_book(tmp_path, CATALOG_PAGES, catalog=True, language="en")
    out, warnings = build(src, builder, extensions=["myst_parser", *ALL_EXTENSIONS])
    assert warnings == ""
    assert any(out.iterdir())


def test_generated_pages_are_documents(tmp_path: Path) -> None:
    src = make_book(tmp_path, CATALOG_PAGES, catalog=True, language="en")
    out, warnings = build(src, extensions=["myst_parser", *EXTENSIONS])
    assert warnings == ""
    for page in (
        "talks/conf-2024-pipelines",
        "talks/conf-2024-frontend",
        "conferences/conf-2024",
        "tags/data",
        "tags/index",
    ):
        assert (out / f"{page}.html").is_file(), page
    # in the search index (talkbook.search's meta file), under their titles
    meta = (out / "_static" / "talkbook-search" / "meta.js").read_text(encoding="utf-8")
    docs = json.loads("[" + meta[meta.index("(") + 1 : meta.rindex(")")] + "]")[0]["docs"]
    titles = {url: title for url, title, *_ in docs}
    assert titles["talks/conf-2024-pipelines.html"] == "Streaming pipelines at scale"
    assert titles["conferences/conf-2024.html"] == "Conf 2024"
    assert titles["speakers/grace-hopper.html"] == "Grace Hopper"
    # backlinks: the talk page links the covering section, and the mention
    talk = (out / "talks" / "conf-2024-pipelines.html").read_text(encoding="utf-8")
    assert "../notes/first.html#streaming" in talk
    other = (out / "talks" / "conf-2024-frontend.html").read_text(encoding="utf-8")
    assert "../notes/first.html" in other
    # a page per speaker, linked from the talk's fields
    assert "../speakers/ada-lovelace.html" in other
    speaker = (out / "speakers" / "grace-hopper.html").read_text(encoding="utf-8")
    assert "Grace Hopper" in speaker and "conf-2024-frontend.html" in speaker
    # in the toctree: previous/next and breadcrumbs reach them
    conf = (out / "conferences" / "conf-2024.html").read_text(encoding="utf-8")
    assert "conf-2024-pipelines.html" in conf
    # English UI from the message catalogue, schema labels on the page
    assert "Notes covering this talk" in talk and "Conference" in talk
    assert not HANGUL.search(talk)
    # generated sources are ignored by git, and only they are
    ignore = (src / "talks" / ".gitignore").read_text(encoding="utf-8")
    assert "/conf-2024-pipelines.md" in ignore


def test_korean_book_gets_korean_ui(tmp_path: Path) -> None:
    src = make_book(tmp_path, CATALOG_PAGES, catalog=True, language="ko")
    out, warnings = build(src, extensions=["myst_parser", *EXTENSIONS])
    assert warnings == ""
    talk = (out / "talks" / "conf-2024-pipelines.html").read_text(encoding="utf-8")
    assert "이 발표를 다룬 노트" in talk


def test_a_page_at_a_generated_path_is_refused(tmp_path: Path) -> None:
    pages = {**CATALOG_PAGES, "talks/conf-2024-frontend": "# Mine\n\nMy own page.\n"}
    src = make_book(tmp_path, pages, catalog=True, language="en")
    with pytest.raises(ExtensionError) as err:
        build(src, extensions=["myst_parser", *EXTENSIONS])
    assert "talks/conf-2024-frontend.md" in str(err.value)
    assert "clashes with the page talkbook generates" in str(err.value)
    assert (
        (src / "talks" / "conf-2024-frontend.md").read_text(encoding="utf-8").startswith("# Mine")
    )


def test_removing_an_optional_column_never_crashes(tmp_path: Path) -> None:
    """The schema is the contract: drop a column from schema and CSV, the book still builds."""
    import yaml

    from talkbook.catalog import DEFAULT_SCHEMA

    src = make_book(tmp_path, CATALOG_PAGES, catalog=True, language="en")
    schema = yaml.safe_load(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    talks = schema["talks"]
    talks["columns"] = [c for c in talks["columns"] if c["name"] != "title_en"]
    talks.pop("subtitle")
    (src / "data" / "schema.yaml").write_text(yaml.safe_dump(schema), encoding="utf-8")
    lines = TALKS.splitlines()
    rows = [line.split(",") for line in lines]
    col = rows[0].index("title_en")
    text = "\n".join(",".join(r[:col] + r[col + 1 :]) for r in rows) + "\n"
    (src / "data" / "talks.csv").write_text(text, encoding="utf-8")
    out, warnings = build(src, extensions=["myst_parser", *EXTENSIONS])
    assert warnings == ""
    assert (out / "talks" / "conf-2024-pipelines.html").is_file()


def test_message_catalogues_are_compiled() -> None:
    """Each .mo holds exactly the translations of its .po (run scripts/compile_messages.py)."""
    import gettext

    from babel.messages.pofile import read_po

    locale = Path(__file__).resolve().parents[2] / "src" / "talkbook" / "locale"
    pos = sorted(locale.glob("*/LC_MESSAGES/*.po"))
    assert pos
    for po in pos:
        with po.open("rb") as fh:
            wanted = {m.id: m.string for m in read_po(fh) if m.id}
        with po.with_suffix(".mo").open("rb") as fh:
            compiled = gettext.GNUTranslations(fh)._catalog  # noqa: SLF001
        compiled = {k: v for k, v in compiled.items() if k}
        assert compiled == wanted, po


def test_add_talk_options_come_from_the_schema(tmp_path: Path) -> None:
    """A column added to the schema is an option of `talkbook add-talk` at once."""
    import yaml
    from click.testing import CliRunner

    from talkbook.catalog import DEFAULT_SCHEMA
    from talkbook.cli import main

    src = make_book(tmp_path, CATALOG_PAGES, catalog=True, language="en")
    (src / "_toc.yml").write_text("format: jb-book\nroot: index\n", encoding="utf-8")
    schema = yaml.safe_load(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    schema["talks"]["columns"].append({"name": "room", "type": "str", "help": "the room"})
    (src / "data" / "schema.yaml").write_text(yaml.safe_dump(schema), encoding="utf-8")
    talks = src / "data" / "talks.csv"
    lines = talks.read_text(encoding="utf-8").splitlines()
    talks.write_text("\n".join([lines[0] + ",room", *(line + "," for line in lines[1:])]) + "\n")
    runner = CliRunner()
    shown = runner.invoke(main, ["--root", str(src), "add-talk", "--help"])
    assert "--room" in shown.output and "the room" in shown.output
    args = [
        "--root",
        str(src),
        "add-talk",
        "--no-interactive",
        "--id",
        "conf-2024-rooms",
        "--conference",
        "conf-2024",
        "--day",
        "1",
        "--title",
        "Rooms",
        "--tag",
        "web",
        "--summary",
        "About rooms.",
        "--room",
        "Hall A",
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "conf-2024-rooms,conf-2024,1,3,session,Rooms,recorded" in talks.read_text()
    assert talks.read_text().rstrip().endswith(",Hall A")
    missing = runner.invoke(main, ["--root", str(src), "add-talk", "--no-interactive", "--id", "x"])
    assert missing.exit_code == 2 and "missing --conference" in missing.output


def test_redirects_stay_inside_the_output_and_never_replace_a_page(tmp_path: Path) -> None:
    """data/redirects.csv comes from strangers too: a source that climbs out of the output
    folder, a wildcard, a hidden or Sphinx-owned folder, or a live page is refused."""
    src = make_book(tmp_path, CATALOG_PAGES, catalog=True, language="en")
    (src / "data" / "redirects.csv").write_text(
        "from,to\n"
        "../../escaped,catalog\n"
        "talks/*,catalog\n"
        "_static/theme,catalog\n"
        "catalog,index\n"
        "old-catalog,catalog\n",
        encoding="utf-8",
    )
    out, warnings = build(src, extensions=["myst_parser", *EXTENSIONS])
    assert "redirects.csv:2: '../../escaped' is not a page path inside the book" in warnings
    assert "redirects.csv:3: 'talks/*' is not a page path" in warnings
    assert "redirects.csv:4: '_static/theme' is not a page path" in warnings
    assert "redirects.csv:5: 'catalog' is a live page" in warnings
    assert not (tmp_path / "escaped.html").exists() and not list(tmp_path.rglob("escaped.html"))
    assert "Catalog" in (out / "catalog.html").read_text(encoding="utf-8")  # not replaced
    assert "catalog.html" in (out / "old-catalog.html").read_text(encoding="utf-8")
