"""Notebook execution at build time: cached, re-run only when edited, failures fail the build."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import jb_build, mini_book, output_of

pytestmark = pytest.mark.slow

HOME = "---\ntalkbook: {kind: home, language: ko, description: 시험}\n---\n# 홈\n\n시험용 책.\n"


def notebook(name: str, code: str, log: Path | None = None) -> str:
    """A MyST notebook; each real execution appends its name to ``log`` (outside the book:
    talkbook.safety fails a notebook that writes into the project)."""
    log_path = str(log or Path("/dev/null"))
    return f"""---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
talkbook: {{kind: demo, language: ko, description: 시험}}
---
# 노트북 {name}

```{{code-cell}} python3
from pathlib import Path
with Path({log_path!r}).open("a") as log:  # a side effect that shows each real execution
    print("{name}", file=log)
{code}
```
"""


def runs(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_second_build_executes_nothing_and_an_edit_reruns_only_that_notebook(
    tmp_path: Path,
) -> None:
    log = tmp_path / "runs.log"
    src = mini_book(
        tmp_path / "src",
        {
            "book/intro": HOME,
            "book/a": notebook("a", "1 + 1", log),
            "book/b": notebook("b", "2 + 2", log),
        },
    )
    out = tmp_path / "out"
    for _ in range(2):
        result = jb_build(src, out)
        assert result.returncode == 0, output_of(result)[-3000:]
    assert sorted(runs(log)) == ["a", "b"]  # built twice, executed once each

    (src / "book" / "a.md").write_text(notebook("a", "3 + 3", log), encoding="utf-8")
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-3000:]
    assert sorted(runs(log)) == ["a", "a", "b"]
    assert "6" in (out / "_build" / "html" / "book" / "a.html").read_text(encoding="utf-8")


def test_failing_cell_fails_the_build_unless_tagged(tmp_path: Path) -> None:
    failing = notebook("c", "raise ValueError('boom in a demo')")
    src = mini_book(tmp_path / "src", {"book/intro": HOME, "book/c": failing})
    result = jb_build(src, tmp_path / "out")
    assert result.returncode != 0
    out = output_of(result)
    assert "book/c.md: WARNING: Executing notebook failed" in out
    assert (
        "ValueError: boom in a demo" in out
    )  # the traceback is in the log, not only in a report file

    tagged = failing.replace(
        "```{code-cell} python3\n", "```{code-cell} python3\n:tags: [raises-exception]\n"
    )
    src = mini_book(tmp_path / "src2", {"book/intro": HOME, "book/c": tagged})
    result = jb_build(src, tmp_path / "out2")
    assert result.returncode == 0, output_of(result)[-3000:]
    assert "boom in a demo" in (
        tmp_path / "out2" / "_build" / "html" / "book" / "c.html"
    ).read_text(encoding="utf-8")
