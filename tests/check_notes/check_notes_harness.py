"""Lay the bad notes of ``notes/`` over a copy of the small test book; check and build it.

The book is ``tests/bad_inputs/base`` (home page, one note, one image) plus the real
``_config.yml`` and ``data/`` (see ``bad_input_harness.make_tree``), overlaid with ``base/``
here (a glossary page and the toc). ``cases.yaml`` maps each bad note to the message
``talkbook check`` must print and the one the strict build prints for it (``null``: the
build lets it through, only the check stops it).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "bad_inputs"))

from bad_input_harness import (  # noqa: E402
    Result,
    missing_messages,
    run_build,
    run_cli,
)
from bad_input_harness import make_tree as make_base_tree  # noqa: E402

NOTES = HERE / "notes"
NOTES_DIR = "book/notes"

__all__ = ["Result", "missing_messages", "run_build", "run_cli"]


def load_cases() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))["notes"]


def make_tree(dest: Path) -> Path:
    """The small valid book with the glossary page and its toc."""
    root = make_base_tree(dest)
    shutil.copytree(HERE / "base", root, dirs_exist_ok=True)
    return root


def add_notes(root: Path, names: list[str]) -> list[str]:
    """Copy the named bad notes into the book and list them in the toc; their paths."""
    toc = root / "_toc.yml"
    text = toc.read_text(encoding="utf-8")
    paths = []
    for name in names:
        path = f"{NOTES_DIR}/{name}"
        shutil.copyfile(NOTES / name, root / path)
        text += f"      - file: {path.rsplit('.', 1)[0]}\n"
        paths.append(path)
    toc.write_text(text, encoding="utf-8")
    return paths
