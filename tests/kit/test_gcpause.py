"""talkbook.gcpause: no collection while the environment loads, frozen objects afterwards."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest


def test_collection_paused_then_frozen_then_thawed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    seen: dict[str, object] = {}
    (tmp_path / "probe.py").write_text(
        "import gc\n"
        "SEEN = {}\n"
        "def setup(app):\n"
        "    app.connect('config-inited', lambda a, c: SEEN.update(loading=gc.isenabled()),"
        " priority=999)\n"
        "    app.connect('builder-inited', lambda a: SEEN.update("
        "after=gc.isenabled(), frozen=gc.get_freeze_count()), priority=500)\n",
        encoding="utf-8",
    )
    (tmp_path / "conf.py").write_text(
        "extensions = ['talkbook.gcpause', 'probe']\n",
        encoding="utf-8",
    )
    (tmp_path / "index.rst").write_text("T\n=\n\ntext\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "probe", raising=False)
    out = tmp_path / "out"
    assert gc.isenabled()
    with docutils_namespace():
        for _ in range(2):  # a fresh environment, then one loaded from disk
            app = Sphinx(
                str(tmp_path),
                str(tmp_path),
                str(out),
                str(out / ".d"),
                "html",
                status=None,
                warning=None,
            )
            app.build()
            import probe

            seen = dict(probe.SEEN)
            assert seen["loading"] is False, seen  # paused while the env unpickles
            assert seen["after"] is True and seen["frozen"] > 0, seen
            # left frozen (Python's exit-time collection skips them), handed back here
            assert gc.isenabled() and gc.get_freeze_count() > 0
            gc.unfreeze()
