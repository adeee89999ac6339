"""Lay a bad input over a copy of the small test book, then run `talkbook check` or the build.

The test book is ``tests/bad_inputs/base`` (toc, a home page, one note, one image) plus the
real ``_config.yml`` and ``data/``. ``cases.yaml`` lists the bad inputs; each says which
files it adds or edits and which messages `talkbook check` and the book build must print.
Nothing here touches the real tree: every case works in a fresh copy under a temp folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from talkbook.cli import main

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BASE = HERE / "base"
FILES = HERE / "files"
CASES_FILE = HERE / "cases.yaml"
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
BUILD_TIMEOUT_S = 240
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def load_cases() -> list[dict[str, Any]]:
    return yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def make_tree(dest: Path) -> Path:
    """A fresh copy of the small, valid test book: the base pages, the real _config.yml and
    the real catalog (data/schema.yaml and the CSVs it declares; other data files such as
    redirects name pages this small book does not have)."""
    shutil.copytree(BASE, dest, dirs_exist_ok=True)
    shutil.copy2(REPO / "_config.yml", dest / "_config.yml")
    (dest / "data").mkdir(exist_ok=True)
    schema = yaml.safe_load((REPO / "data" / "schema.yaml").read_text(encoding="utf-8"))
    files = ["schema.yaml", *(spec["file"] for spec in schema.values() if "file" in spec)]
    for name in files:
        shutil.copy2(REPO / "data" / name, dest / "data" / name)
    return dest


def filler_page(size: int) -> bytes:
    """A valid page of about ``size`` bytes (front matter, a title, then many lines)."""
    head = (
        "---\ntalkbook:\n  kind: page\n  language: ko\n  description: 아주 큰 페이지.\n---\n\n"
        "# 아주 큰 페이지\n\n"
    ).encode()
    line = "이 줄은 페이지 크기를 키우려고 반복해서 넣은 줄입니다. 0123456789\n".encode()
    return head + line * (max(size - len(head), 0) // len(line) + 1)


def apply_case(root: Path, case: dict[str, Any]) -> None:
    """Lay the case's files and edits over the tree at ``root``."""
    for target, source in (case.get("files") or {}).items():
        dest = root / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FILES / source, dest)
    for target, size in (case.get("generate") or {}).items():
        dest = root / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(filler_page(int(size)))
    for edit in case.get("edit") or []:
        path = root / edit["file"]
        text = path.read_text(encoding="utf-8")
        new, count = re.subn(edit["regex"], edit["replace"], text, count=1)
        assert count == 1, f"case {case['id']}: {edit['regex']!r} matched nothing in {edit['file']}"
        path.write_text(new, encoding="utf-8", newline="")
    if case.get("toc"):
        toc = root / "_toc.yml"
        text = toc.read_text(encoding="utf-8")
        toc.write_text(
            text + "".join(f"      - file: {doc}\n" for doc in case["toc"]), encoding="utf-8"
        )
    if "timeout" in case:
        config = root / "_config.yml"
        text, count = re.subn(
            r"(?m)^(\s+timeout:)\s*\d+",
            rf"\g<1> {int(case['timeout'])}",
            config.read_text(encoding="utf-8"),
        )
        assert count == 1, "_config.yml has no execute.timeout to override"
        config.write_text(text, encoding="utf-8")


def tree_hash(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (relative path -> digest), leaving out the pages
    talkbook generates from the catalog (git-ignored, listed in their folder's .gitignore)."""
    from talkbook.generate import is_generated

    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not is_generated(p)
        and not (
            p.name == ".gitignore"
            and p.read_text(encoding="utf-8").startswith("# written by talkbook")
        )
    }


@dataclass
class Result:
    exit_code: int
    output: str
    seconds: float = 0.0


def run_cli(root: Path, *args: str) -> Result:
    """Run ``talkbook <args>`` in-process from ``root`` (paths print relative to it)."""
    runner = CliRunner()
    with contextlib.chdir(root):
        res = runner.invoke(main, list(args), catch_exceptions=False)
    return Result(res.exit_code, res.output)


def run_build(root: Path, out: Path, env: dict[str, str] | None = None) -> Result:
    """``jupyter-book build`` as `make build` runs it (strict), output outside the source,
    with ``env`` as its environment when given. The traceback reports of failing notebooks
    are appended to the output."""
    start = time.perf_counter()
    proc = subprocess.run(
        [
            str(JUPYTER_BOOK),
            "build",
            str(root),
            "-W",
            "-n",
            "--keep-going",
            "--path-output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        cwd=root,
        env=env,
    )
    output = proc.stdout + proc.stderr
    # myst-nb saves a failing notebook's traceback to a report file and names it in the log
    for report in re.findall(r"traceback saved in: (\S+\.err\.log)", output):
        path = Path(report)
        if path.is_file():
            output += f"\n--- {report}\n" + path.read_text(encoding="utf-8", errors="replace")
    return Result(proc.returncode, ANSI_RE.sub("", output), time.perf_counter() - start)


def missing_messages(expected: list[str], output: str) -> list[str]:
    """Expected messages not found on any output line ("re:" prefix: a regular expression)."""
    lines = output.splitlines()
    missing = []
    for want in expected:
        if want.startswith("re:"):
            found = any(re.search(want[3:], line) for line in lines)
        else:
            found = any(want in line for line in lines)
        if not found:
            missing.append(want)
    return missing
