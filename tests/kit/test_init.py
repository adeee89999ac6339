"""`talkbook init`: a new knowledge base that passes `talkbook check` and builds strictly at
once (Korean and English), never writes into a non-empty folder, and is written all or
nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import ROOT, output_of

from talkbook import scaffold
from talkbook.catalog import TABLES, load_catalog, load_schema
from talkbook.cli import main

JB = str(Path(sys.executable).parent / "jupyter-book")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
REPO_URL = "https://github.com/example-owner/example-notes"


def kit_env() -> dict[str, str]:
    """The environment for subprocesses: this checkout's kit first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    return env


def init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["init", *args])
    return result.exit_code, result.output


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module", params=["ko", "en"])
def book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A new book per language (the English one with a repository URL), built strictly once."""
    language = request.param
    base = tmp_path_factory.mktemp(f"init-{language}")
    target = base / "notes"
    extra = ["--repository-url", REPO_URL] if language == "en" else []
    code, output = init(
        str(target), "--language", language, "--talkbook-spec", str(ROOT), "--title", "Test Notes",
        *extra,
    )  # fmt: skip
    assert code == 0, output
    out = base / "out"
    result = subprocess.run(
        [JB, "build", str(target), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=target,
        env=kit_env(),
    )
    return {
        "language": language,
        "root": target,
        "output": output,
        "build": result,
        "html": out / "_build" / "html",
    }


def test_init_writes_the_kit_files_and_prints_next_steps(book) -> None:
    root: Path = book["root"]
    for name in (
        "_config.yml",
        "_toc.yml",
        "book/intro.md",
        "book/catalog.md",
        "book/notes/first-note.md",
        "data/schema.yaml",
        "README.md",
        "Makefile",
        "requirements.txt",
        ".github/workflows/book.yml",
        ".pre-commit-config.yaml",
        ".gitignore",
        "tests/test_book.py",
    ):
        assert (root / name).is_file(), name
    assert "next steps" in book["output"]
    assert "make serve" in book["output"]
    for name in (".github/workflows/book.yml", ".pre-commit-config.yaml", "_toc.yml"):
        yaml.safe_load((root / name).read_text(encoding="utf-8"))  # valid YAML
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    assert config["title"] == "Test Notes"
    assert config["sphinx"]["config"]["language"] == book["language"]
    assert config["sphinx"]["extra_extensions"] == [
        "talkbook.ext",
        "talkbook.search",
        "talkbook.meta",
        "talkbook.navcache",
        "talkbook.assets",
        "talkbook.mathml",
        "talkbook.dataout",
        "talkbook.feeds",
        "talkbook.notebooks",
    ]
    assert config["sphinx"]["config"]["talkbook_catalog_page"] == "book/catalog"
    if book["language"] == "en":
        assert config["repository"]["url"] == REPO_URL
        assert config["html"]["baseurl"] == "https://example-owner.github.io/example-notes/"
        assert config["html"]["use_edit_page_button"] is True
    else:
        assert config["repository"]["url"] == ""
        assert config["html"]["use_edit_page_button"] is False
    # the local kit as the Makefile's install source
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert f"TALKBOOK_SPEC ?= {ROOT}\n" in makefile
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "make serve" in readme and "make test" in readme
    # the prose is in the book's language
    intro = (root / "book" / "intro.md").read_text(encoding="utf-8")
    assert bool(HANGUL.search(intro)) == (book["language"] == "ko")


def test_catalog_is_empty_with_the_default_schema(book) -> None:
    data: Path = book["root"] / "data"
    default = Path(scaffold.__file__).parent / "data" / "schema.yaml"
    assert (data / "schema.yaml").read_bytes() == default.read_bytes()
    schema = load_schema(data)
    for key in TABLES:
        lines = (data / schema[key].file).read_text(encoding="utf-8").splitlines()
        assert lines == [",".join(schema[key].names)]
    catalog = load_catalog(data)  # an empty catalog is a valid one
    assert len(catalog.talks) == len(catalog.conferences) == len(catalog.tags) == 0


def test_new_book_passes_talkbook_check(book) -> None:
    result = CliRunner().invoke(main, ["--root", str(book["root"]), "check"])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_new_book_builds_strictly(book) -> None:
    result = book["build"]
    assert result.returncode == 0, output_of(result)[-6000:]
    html: Path = book["html"]
    intro = (html / "book" / "intro.html").read_text(encoding="utf-8")
    note = (html / "book" / "notes" / "first-note.html").read_text(encoding="utf-8")
    catalog = (html / "book" / "catalog.html").read_text(encoding="utf-8")
    assert "<h1>Test Notes" in intro
    assert 'class="talkbook-catalog' in catalog
    heading = "이 책에 노트를 더하는 법" if book["language"] == "ko" else "How to add a note"
    assert heading in note
    assert f'<html lang="{book["language"]}"' in intro
    assert (html / "index.html").is_file()


def test_english_book_has_no_korean_ui(book) -> None:
    if book["language"] != "en":
        pytest.skip("English books only")
    assert book["build"].returncode == 0
    for page in sorted(book["html"].rglob("*.html")):
        found = HANGUL.findall(page.read_text(encoding="utf-8"))
        assert not found, f"{page.relative_to(book['html'])}: Korean text {''.join(found[:20])!r}"


def test_new_books_own_test_passes(book) -> None:
    """The test the new book ships (tests/test_book.py) runs green in it."""
    if book["language"] != "ko":
        pytest.skip("one language is enough: the file is the same for both")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=book["root"],
        env=kit_env(),
    )
    assert result.returncode == 0, output_of(result)[-4000:]
    assert "2 passed" in result.stdout


def test_requirements_pins_match_the_kit() -> None:
    """The new book's pins are the versions this repository is tested with."""

    def pins(text: str) -> dict[str, str]:
        pairs = (line.split("==") for line in text.splitlines() if "==" in line)
        return {name.lower(): version for name, version in pairs}

    ours = pins((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    theirs = pins(scaffold.plan(scaffold.Options(language="en"))["requirements.txt"].decode())
    assert {"jupyter-book", "sphinx", "myst-nb", "pytest"} <= set(theirs)
    assert {name: ours.get(name) for name in theirs} == theirs


def test_empty_folder_is_used(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    code, output = init(str(target), "--language", "ko")
    assert code == 0, output
    assert (target / "_config.yml").is_file()
    assert os.listdir(tmp_path) == ["empty"]  # no temporary folder left behind
    assert "TALKBOOK_SPEC ?= talkbook==" in (target / "Makefile").read_text(encoding="utf-8")


def test_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "book"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n", encoding="utf-8")
    code, output = init(str(target), "--language", "en")
    assert code == 2
    assert "is not empty" in output and "nothing was written" in output
    assert tree(target) == {"notes.txt": b"mine\n"}
    assert sorted(os.listdir(tmp_path)) == ["book"]


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "book"
    target.write_text("x", encoding="utf-8")
    code, output = init(str(target))
    assert code == 2
    assert "not a folder" in output
    assert target.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--repository-url", "ftp://example.org/x"], "is not an http(s) URL"),
        (["--repository-url", "https://github.com/o/r/tree/main"], "give the repository itself"),
        (["--title", "two\nlines"], "line break"),
        (["--title", "  "], "is empty"),
        (["--talkbook-spec", "talkbook; rm -rf /"], "--talkbook-spec"),
        (["--language", "fr"], "fr"),
    ],
)
def test_bad_options_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = init(str(tmp_path / "book"), *args)
    assert code == 2
    assert message in output
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("exists", [False, True])
def test_failure_mid_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, exists: bool
) -> None:
    """A failure after some files are written: the target is absent (or still empty) and no
    temporary folder is left next to it."""
    target = tmp_path / "parent" / "book"
    if exists:
        target.mkdir(parents=True)
    real = scaffold.write_file
    written: list[Path] = []

    def failing(path: Path, data: bytes) -> None:
        if len(written) == 5:
            raise error
        real(path, data)
        written.append(path)

    monkeypatch.setattr(scaffold, "write_file", failing)
    code, output = init(str(target), "--language", "ko")
    assert code != 0
    assert len(written) == 5 and all(not p.exists() for p in written)
    if exists:
        assert target.is_dir() and os.listdir(target) == []
        assert os.listdir(tmp_path / "parent") == ["book"]
    else:
        assert not target.exists()
        assert os.listdir(tmp_path) == []  # the parent it created is gone too
    if isinstance(error, OSError):
        assert code == 2 and "disk full" in output and "nothing was written" in output


def test_new_book_grows_with_the_cli(tmp_path: Path) -> None:
    """The first conference, tag, talk and notes go in with the usual commands, and the book
    still passes the check and builds strictly (the scaffold's toc suits `talkbook new`)."""
    root = tmp_path / "notes"
    assert init(str(root), "--language", "ko")[0] == 0
    runner = CliRunner()
    for args in (
        ["add-conference", "--id", "myconf-2025", "--name", "MyConf 2025", "--series", "MyConf",
         "--year", "2025"],
        ["add-tag", "--id", "python", "--label", "파이썬", "--label-en", "Python"],
        ["add-talk", "--id", "myconf-2025-keynote", "--conference", "myconf-2025", "--day", "1",
         "--title", "기조 연설", "--title-en", "Keynote", "--tag", "python",
         "--summary", "시험용 발표의 요약."],
        ["new", "--kind", "memo", "--talk", "myconf-2025-keynote", "--no-interactive",
         "--description", "시험용 메모."],
        ["new", "--kind", "essay", "--slug", "second-essay", "--title", "둘째 에세이",
         "--no-interactive", "--description", "시험용 에세이."],
        ["check"],
    ):  # fmt: skip
        result = runner.invoke(main, ["--root", str(root), *args])
        assert result.exit_code == 0, f"{args[0]}: {result.output}"
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    captions = {part["caption"]: [c["file"] for c in part["chapters"]] for part in toc["parts"]}
    assert captions["에세이"] == ["book/notes/first-note", "book/notes/second-essay"]
    assert captions["MyConf 2025"] == ["book/notes/myconf-2025-day1-memo"]
    out = tmp_path / "out"
    result = subprocess.run(
        [JB, "build", str(root), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=root,
        env=kit_env(),
    )
    assert result.returncode == 0, output_of(result)[-6000:]
    html = out / "_build" / "html"
    assert (html / "talks" / "myconf-2025-keynote.html").is_file()
    assert (html / "conferences" / "myconf-2025.html").is_file()
    assert "myconf-2025-day1-memo" in (html / "talks" / "myconf-2025-keynote.html").read_text(
        encoding="utf-8"
    )


def test_current_empty_folder_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`talkbook init .` fills the folder the shell is in (it is not replaced by another)."""
    target = tmp_path / "here"
    target.mkdir()
    inode = target.stat().st_ino
    monkeypatch.chdir(target)
    code, output = init(".", "--language", "en")
    assert code == 0, output
    assert Path.cwd() == target and target.stat().st_ino == inode
    assert (target / "book" / "notes" / "first-note.md").is_file()
    assert not [e for e in os.listdir(target) if e.endswith(".tmp")]


def test_failure_while_moving_into_an_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last step into an existing folder fails half-way: what was moved is taken out."""
    target = tmp_path / "book"
    target.mkdir()
    real = scaffold.move
    moved: list[Path] = []

    def failing(source: Path, dest: Path) -> None:
        if len(moved) == 3:
            raise OSError("no space left")
        real(source, dest)
        moved.append(dest)

    monkeypatch.setattr(scaffold, "move", failing)
    code, output = init(str(target), "--language", "en")
    assert code == 2 and "no space left" in output
    assert len(moved) == 3
    assert os.listdir(target) == []


def test_default_schema_matches_this_books_schema() -> None:
    """The packaged default schema is this book's schema with generic texts: the same
    tables, columns, types, references and front-matter fields (labels, help texts and
    which subtitle columns are required are the book's own)."""

    def shape(folder: Path) -> object:
        raw = yaml.safe_load((folder / "schema.yaml").read_text(encoding="utf-8"))

        def strip(value: object) -> object:
            if isinstance(value, dict):
                drop = {"help", "label", "labels", "display", "empty", "required"}
                return {k: strip(v) for k, v in value.items() if k not in drop}
            if isinstance(value, list):
                return [strip(v) for v in value]
            return value

        return strip(raw)

    assert shape(Path(scaffold.__file__).parent / "data") == shape(ROOT / "data")
