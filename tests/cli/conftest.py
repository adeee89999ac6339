"""Fixtures for the CLI tests: a fresh copy of the small test book, and a copy of the real
book, each in tmp_path (the real tree is never modified)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bad_inputs"))

from bad_input_harness import REPO, make_tree  # noqa: E402


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """The small valid test book (tests/bad_inputs/base + real _config.yml and data/); the
    working directory is its root, so paths print as book/notes/x.md."""
    root = make_tree(tmp_path / "book")
    monkeypatch.chdir(root)
    return root


def copy_real_tree(dest: Path) -> Path:
    """Copy what git sees of the real repository (tracked + untracked, not ignored)."""
    try:
        listed = (
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(REPO),
                    "ls-files",
                    "-z",
                    "--cached",
                    "--others",
                    "--exclude-standard",
                    "--",
                    "_toc.yml",
                    "_config.yml",
                    "book",
                    "data",
                ],
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
        files = [REPO / p for p in listed if p]
    except (OSError, subprocess.CalledProcessError):
        files = [
            REPO / "_toc.yml",
            REPO / "_config.yml",
            *(p for d in ("book", "data") for p in (REPO / d).rglob("*")),
        ]
    for src in files:
        if src.is_file():
            target = dest / src.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


@pytest.fixture
def real_tree(tmp_path, monkeypatch) -> Path:
    root = copy_real_tree(tmp_path / "real")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def run() -> Callable:
    """Invoke ``talkbook`` in-process: run("check", ...) -> click Result."""
    from click.testing import CliRunner

    from talkbook.cli import main

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke
