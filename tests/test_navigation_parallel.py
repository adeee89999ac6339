"""scripts/build_parallel.py: Jupyter Book's build on two processes (Sphinx ``-j 2``) writes
the same pages as ``jupyter-book build``, the shared navigation and contents page included."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, jb_build, output_of
from test_navcache import nested_book

pytestmark = pytest.mark.slow


def test_parallel_build_writes_the_same_pages(tmp_path: Path) -> None:
    src = nested_book(tmp_path / "src", check=False)
    toc = yaml.safe_load((src / "_toc.yml").read_text(encoding="utf-8"))
    for i in range(6):  # enough documents for Sphinx to split reading and writing
        (src / "book" / f"extra{i}.md").write_text(f"# 더 {i}\n\n본문 {i}.\n", encoding="utf-8")
        toc["parts"][1]["chapters"].append({"file": f"book/extra{i}"})
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True), encoding="utf-8")
    serial = jb_build(src, tmp_path / "serial")
    assert serial.returncode == 0, output_of(serial)[-4000:]
    cmd = [sys.executable, str(ROOT / "scripts" / "build_parallel.py"), str(src), "-j", "2"]
    cmd += ["-W", "-n", "--keep-going", "--path-output", str(tmp_path / "parallel")]
    parallel = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=src)
    log = output_of(parallel)
    assert parallel.returncode == 0, log[-4000:]
    assert re.search(r"writing output\.\.\. .*\] \S+ \.\. \S+", log), log[-3000:]  # in chunks
    one, two = (tmp_path / d / "_build" / "html" for d in ("serial", "parallel"))

    def pages(d: Path) -> dict[str, bytes]:
        files = [*d.rglob("*.html"), d / "_static" / "talkbook-nav-tree.js"]
        return {str(p.relative_to(d)): p.read_bytes() for p in files}

    a, b = pages(one), pages(two)
    assert sorted(a) == sorted(b)
    assert "book/extra5.html" in a and "contents.html" in a
    assert [p for p in a if a[p] != b[p]] == []
