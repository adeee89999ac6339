"""A build killed while it writes (kill -9, Ctrl-C) leaves nothing stale behind: the next
incremental build gives the same pages as a clean build."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from helpers import JB, jb_build, mini_book, output_of, read_rows, write_rows

NOTE = """---
talkbook:
  kind: essay
  language: ko
  talks: []
  description: 중단 시험용 노트.
---
# 노트 {n}

{{talk}}`deview-2019-ai-suite` 를 언급한다.
"""


def pages(html: Path) -> dict[str, bytes]:
    """Every HTML page; Sphinx's ``?v=<checksum>`` on a static file is left out (it is added
    only when the file is already in the output folder, so it differs from a clean build
    in stock Sphinx too)."""
    return {
        p.relative_to(html).as_posix(): re.sub(rb"\?v=[0-9a-f]{8}", b"", p.read_bytes())
        for p in sorted(html.rglob("*.html"))
    }


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupted_build_recovers(tmp_path: Path, how: signal.Signals) -> None:
    src = mini_book(
        tmp_path / "src",
        {
            "book/intro": "# 홈\n\n시험용 책.\n",
            **{f"book/n{i}": NOTE.format(n=i) for i in range(4)},
        },
    )
    out = tmp_path / "out"
    first = jb_build(src, out)
    assert first.returncode == 0, output_of(first)[-3000:]

    # a summary edit (not in the navigation, which rewrites every page when it changes)
    # reaches the talk's page; the build is stopped while it writes
    talks = src / "data" / "talks.csv"
    rows = read_rows(talks)
    for row in rows:
        if row["id"] == "deview-2019-ai-suite":
            row["summary"] = "중단된 빌드 뒤의 새 요약."
    write_rows(talks, rows)
    cmd = [JB, "build", str(src), "-W", "-n", "--keep-going", "--path-output", str(out)]
    proc = subprocess.Popen(
        cmd,
        cwd=src,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C would reach
    )
    stopped = False
    for line in proc.stdout:  # type: ignore[union-attr]
        # the environment (what was read) is saved just before the pages are written
        if "pickling environment" in line:
            os.killpg(proc.pid, how)
            stopped = True
            break
    proc.stdout.close()  # type: ignore[union-attr]
    try:
        proc.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert stopped, "the build never saved its environment"

    again = jb_build(src, out)
    assert again.returncode == 0, output_of(again)[-3000:]
    clean = jb_build(src, tmp_path / "clean")
    assert clean.returncode == 0, output_of(clean)[-3000:]
    recovered = pages(out / "_build" / "html")
    expected = pages(tmp_path / "clean" / "_build" / "html")
    assert recovered.keys() == expected.keys()
    stale = [name for name in expected if recovered[name] != expected[name]]
    assert not stale, stale
    assert "중단된 빌드 뒤의 새 요약." in (
        out / "_build" / "html" / "talks" / "deview-2019-ai-suite.html"
    ).read_text(encoding="utf-8")
