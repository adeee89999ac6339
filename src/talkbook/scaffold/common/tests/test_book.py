"""The book builds strictly (warnings are errors) and passes `talkbook check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*cmd: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_check_passes() -> None:
    result = run(str(BIN / "talkbook"), "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_builds_strictly(tmp_path: Path) -> None:
    jb = str(BIN / "jupyter-book")
    result = run(jb, "build", ".", "-W", "-n", "--keep-going", "--path-output", str(tmp_path))
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    html = tmp_path / "_build" / "html"
    assert (html / "index.html").is_file()
    assert (html / "book" / "intro.html").is_file()
    assert (html / "book" / "catalog.html").is_file()
