"""The one small book that holds every case of safety_cases.yaml (built once per session)."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import yaml
from bad_input_harness import HERE, make_tree

SAFETY_FILES = HERE / "files" / "safety"
SAFETY_CASES = HERE / "safety_cases.yaml"
CANARY = "talkbook-canary-3f9c2e"  # in the build's environment and .git/config
TRUSTED = "book/notes/nb-trusted-js"


def load_safety_cases() -> list[dict[str, Any]]:
    return yaml.safe_load(SAFETY_CASES.read_text(encoding="utf-8"))["cases"]


def placeholders() -> dict[str, str]:
    return {"@CANARY@": CANARY, "@HOSTNAME@": socket.gethostname()}


def expand(text: str) -> str:
    for key, value in placeholders().items():
        text = text.replace(key, value)
    return text


def make_safety_tree(dest: Path, cases: list[dict[str, Any]]) -> Path:
    """The small test book with every case's files, all listed in the toc, the safety
    extension loaded, one trusted notebook, a symlink to /etc/passwd and a .git/config
    holding the canary (as actions/checkout leaves a token there)."""
    root = make_tree(dest)
    docs = []
    for case in cases:
        for target, source in case["files"].items():
            path = root / target
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SAFETY_FILES / source, path)
            if target.endswith((".md", ".ipynb")):
                docs.append(target.rsplit(".", 1)[0])
    (root / "book/notes/passwd-link.txt").symlink_to("/etc/passwd")
    (root / ".git").mkdir()
    (root / ".git/config").write_text(
        f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {CANARY}\n',
        encoding="utf-8",
    )
    toc = root / "_toc.yml"
    toc.write_text(
        toc.read_text(encoding="utf-8") + "".join(f"      - file: {d}\n" for d in docs),
        encoding="utf-8",
    )
    config = root / "_config.yml"
    # talkbook.ext loads talkbook.safety; the book's allowlist becomes this tree's
    text, n = re.subn(
        r"(?m)^(\s+)talkbook_safety_trusted_notebooks:.*$",
        rf"\1talkbook_safety_trusted_notebooks: [{TRUSTED}]",
        config.read_text(encoding="utf-8"),
    )
    assert n == 1, "_config.yml has no talkbook_safety_trusted_notebooks"
    config.write_text(text, encoding="utf-8")
    return root


def build_env(out: Path) -> dict[str, str]:
    """The build's environment: a secret to leak, and where the output goes (for the
    notebook that tries to plant a page there)."""
    return {**os.environ, "TALKBOOK_CI_SECRET": CANARY, "TALKBOOK_TEST_OUT": str(out)}
