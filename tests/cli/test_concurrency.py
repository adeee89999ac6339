"""Concurrent CLI writes: every run that says it added something did, nothing is lost, and a
file system that refuses the write gives `path: problem (fix)` and exit 1, not a traceback."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from bad_input_harness import make_tree
from click.testing import CliRunner
from helpers import read_rows

from talkbook import files
from talkbook.cli import main

SRC = Path(__file__).resolve().parents[2] / "src"


def _talkbook(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "talkbook.cli", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


WORKER = """
import sys
from click.testing import CliRunner
from talkbook.cli import main
root, worker, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(runs):
    res = CliRunner().invoke(main, ["--root", root, "add-tag", "--id", f"zz-conc-{worker}-{i}",
        "--label", f"동시 {worker}-{i}", "--label-en", f"Concurrent {worker}-{i}"])
    print(f"exit={res.exit_code} {res.output.strip()!r} {res.exception!r}", flush=True)
"""


def _worker(root: Path, worker: int, runs: int) -> list[str]:
    """One process running ``talkbook add-tag`` ``runs`` times (in-process, to start Python
    once); one line per run: exit code, output, exception."""
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, str(root), str(worker), str(runs)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_concurrent_add_tag_loses_no_row(tmp_path):
    root = make_tree(tmp_path / "book")
    before = len(read_rows(root / "data" / "tags.csv"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [
            r for f in [pool.submit(_worker, root, w, 5) for w in range(4)] for r in f.result()
        ]
    assert len(results) == 20
    for line in results:  # every run claims success, and each claim is checked below
        assert line.startswith('exit=0 "added '), line
    rows = {row["id"] for row in read_rows(root / "data" / "tags.csv")}
    assert len(rows) == before + 20
    for w in range(4):
        for i in range(5):
            assert f"zz-conc-{w}-{i}" in rows
    assert not list((root / "data").glob("*.tmp")), "a temporary file was left behind"


def test_concurrent_new_keeps_every_toc_entry(tmp_path):
    root = make_tree(tmp_path / "book")

    def one(i: int) -> subprocess.CompletedProcess[str]:
        return _talkbook(
            root,
            "new",
            "--no-interactive",
            "--kind",
            "memo",
            "--conference",
            "deview-2019",
            "--talk",
            "deview-2019-armeria",
            "--slug",
            f"conc-note-{i}",
            "--title",
            f"동시 노트 {i}",
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(4)))
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    listed = yaml.safe_dump(toc)
    for i, r in enumerate(results):
        assert r.returncode == 0, r.stdout + r.stderr
        assert "created book/notes" in r.stdout or "created" in r.stdout
        assert (root / "book" / "notes" / f"conc-note-{i}.md").is_file()
        assert f"book/notes/conc-note-{i}" in listed, f"toc entry {i} was lost"


def _read_only(monkeypatch):
    """Every new file fails as on a read-only mount (root ignores chmod, so simulate)."""

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)


def test_read_only_add_tag_says_why_without_traceback(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "book")
    before = (root / "data" / "tags.csv").read_bytes()
    _read_only(monkeypatch)
    res = CliRunner().invoke(
        main,
        [
            "--root",
            str(root),
            "add-tag",
            "--id",
            "zz-ro",
            "--label",
            "읽기 전용",
            "--label-en",
            "Read only",
        ],
    )
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "tags.csv: the file system is read-only (run the command in a writable checkout)" in (
        res.output
    )
    assert (root / "data" / "tags.csv").read_bytes() == before


def test_read_only_new_says_why_and_writes_nothing(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "book")
    toc = (root / "_toc.yml").read_bytes()
    _read_only(monkeypatch)
    res = CliRunner().invoke(
        main,
        [
            "--root",
            str(root),
            "new",
            "--no-interactive",
            "--kind",
            "memo",
            "--talk",
            "deview-2019-armeria",
            "--slug",
            "ro-note",
        ],
    )
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "ro-note.md: the file system is read-only" in res.output
    assert not (root / "book" / "notes" / "ro-note.md").exists()
    assert (root / "_toc.yml").read_bytes() == toc


def test_read_only_fmt_says_why(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "book")
    tags = root / "data" / "tags.csv"
    tags.write_bytes(tags.read_bytes().replace(b"\n", b"\r\n"))  # fmt must rewrite it
    _read_only(monkeypatch)
    res = CliRunner().invoke(main, ["--root", str(root), "fmt"])
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "tags.csv: the file system is read-only" in res.output
