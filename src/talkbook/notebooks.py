"""Sphinx extension ``talkbook.notebooks``: demos readers can run outside the book.

* Every notebook page (a MyST text notebook or an ``.ipynb``) is published as a real
  notebook next to its HTML page (``book/demos/amdahl.html`` -> ``book/demos/amdahl.ipynb``),
  converted by jupytext when the book is built; nothing generated is committed. Its first
  cell installs, only when missing, the packages its code imports that the book's
  ``requirements.txt`` pins (``myst_nb`` -> ``myst-nb==...``), so a downloaded copy, Colab or
  Binder runs it as the book did.
* The page's ".ipynb" download button fetches that notebook.
* Launch buttons: Colab opens ``.ipynb`` files from GitHub only, so with
  ``talkbook_notebooks_branch`` set (a branch that CI fills with the converted notebooks)
  the Colab and Binder buttons open ``<page>.ipynb`` on that branch. Without it, the Colab
  button, which cannot open a ``.md`` file, is left out.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sphinx.application import Sphinx
from sphinx.locale import get_translation
from sphinx.util import logging

from . import __version__
from .files import write_atomic, write_if_changed

logger = logging.getLogger(__name__)
_ = get_translation("talkbook")

JUPYTEXT_HEADER = re.compile(r"\A---\s*\n(?:.*\n)*?(jupytext|kernelspec):", re.M)


def is_notebook_source(path: Path) -> bool:
    if path.suffix == ".ipynb":
        return True
    if path.suffix != ".md":
        return False
    with path.open(encoding="utf-8") as fh:
        head = fh.read(4096)
    return bool(JUPYTEXT_HEADER.match(head))


def is_notebook_page(app: Sphinx, pagename: str) -> bool:
    if pagename not in app.env.found_docs:
        return False
    path = Path(app.env.doc2path(pagename))
    return path.is_file() and is_notebook_source(path)


def pinned_requirements(confdir: Path) -> dict[str, str]:
    """Normalised name -> "name==version" from the book's requirements.txt (if any)."""
    path = confdir / "requirements.txt"
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*==\s*\S+$", line)
        if m:
            pins[re.sub(r"[-_.]+", "-", m[1]).lower()] = line
    return pins


def imported_modules(nb: Any) -> list[str]:
    """Top-level modules the notebook's code cells import (cells that do not parse, e.g.
    with IPython magics, are skipped)."""
    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module.split(".")[0])
    return list(dict.fromkeys(names))


def setup_cell_source(modules: list[str], pins: dict[str, str]) -> str | None:
    """Code that installs the pinned packages of the missing modules, or None."""
    wanted = {
        m: pins[re.sub(r"[-_.]+", "-", m).lower()]
        for m in modules
        if re.sub(r"[-_.]+", "-", m).lower() in pins
    }
    if not wanted:
        return None
    table = json.dumps(wanted, indent=4, ensure_ascii=False)
    return (
        "# Outside the book (a downloaded copy, Colab, Binder): install what this notebook\n"
        "# imports, at the versions the book was built with, only when it is missing.\n"
        "import importlib.util, subprocess, sys\n\n"
        f"NEEDED = {table}\n"
        "missing = [pin for module, pin in NEEDED.items() if importlib.util.find_spec(module) is None]\n"
        "if missing:\n"
        '    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *missing])\n'
    )


def publish_notebooks(app: Sphinx, exception: Exception | None) -> None:
    """Write ``<docname>.ipynb`` beside each notebook page (jupytext), with a setup cell.
    A notebook whose source and pins are those it was last published from, and whose copy
    is still there, is not converted again (``<doctreedir>/talkbook-notebooks.json``)."""
    if exception is not None or app.builder.format != "html":
        return
    pins = pinned_requirements(Path(app.confdir))
    outdir = Path(app.outdir)
    state_path = Path(app.doctreedir) / "talkbook-notebooks.json"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    salt = json.dumps([__version__, pins, str(outdir)], sort_keys=True).encode()
    published: dict[str, str] = {}
    for docname in sorted(app.env.found_docs):
        # a text notebook has jupytext/kernelspec front matter, which Sphinx keeps in the
        # page's metadata: only those (and .ipynb files) are opened, not every page
        meta = app.env.metadata.get(docname, {})
        source = Path(app.env.doc2path(docname))
        if source.suffix != ".ipynb" and "jupytext" not in meta and "kernelspec" not in meta:
            continue
        if not source.is_file() or not is_notebook_source(source):
            continue
        target = outdir / f"{docname}.ipynb"
        key = hashlib.sha1(salt + source.read_bytes()).hexdigest()
        if state.get(docname) == key and target.is_file():
            published[docname] = key
            continue
        if _publish(docname, source, target, pins):
            published[docname] = key
    if published != state:
        write_atomic(state_path, json.dumps(published, sort_keys=True).encode(), sync=False)


def _publish(docname: str, source: Path, target: Path, pins: dict[str, str]) -> bool:
    import jupytext
    import nbformat

    try:
        nb = jupytext.read(source)
    except Exception as err:  # a notebook jupytext cannot read is reported, not fatal
        logger.warning(
            f"cannot publish {docname}.ipynb ({err})",
            location=docname,
            type="talkbook",
            subtype="notebook",
        )
        return False
    nb.metadata.pop("jupytext", None)
    code = setup_cell_source(imported_modules(nb), pins)
    if code:
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["tags"] = ["remove-cell"]
        nb.cells.insert(0, cell)
    write_if_changed(target, nbformat.writes(nb).encode("utf-8"), sync=False)
    return True


def _repo_parts(app: Sphinx) -> tuple[str, str] | None:
    url = str(app.config.html_theme_options.get("repository_url", "") or "")
    m = re.match(r"^https://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$", url)
    return (m[1], m[2]) if m else None


def point_launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Colab and Binder open the published ``.ipynb`` on the notebooks branch."""
    branch = app.config.talkbook_notebooks_branch
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {}) or {}
    parts = _repo_parts(app)
    published = (
        context["pathto"](f"{pagename}.ipynb", 1) if is_notebook_page(app, pagename) else None
    )
    for group in context.get("header_buttons", []) or []:
        buttons = group.get("buttons") if isinstance(group, dict) else None
        for button in buttons or []:
            # ".ipynb" download: the published notebook (with its setup cell), not the theme's
            # plain conversion under _sources/
            url = str(button.get("url", ""))
            if published and "/_sources/" in url and url.endswith(".ipynb"):
                button["url"] = published
        if not buttons or not any(
            "Colab" in b.get("text", "") or "Binder" in b.get("text", "") for b in buttons
        ):
            continue
        kept = []
        for button in buttons:
            text = button.get("text", "")
            if text not in ("Colab", "Binder"):
                kept.append(button)
                continue
            if not branch or parts is None:
                if text == "Binder":
                    kept.append(button)  # Binder opens the text notebook through jupytext
                continue  # Colab cannot open a .md notebook
            org, repo = parts
            path_to_book = str(options.get("path_to_docs", "") or "").strip("/")
            path = f"{path_to_book + '/' if path_to_book else ''}{pagename}.ipynb"
            if text == "Colab":
                base = str(launch.get("colab_url", "https://colab.research.google.com")).rstrip("/")
                button["url"] = f"{base}/github/{org}/{repo}/blob/{quote(branch)}/{path}"
            else:
                base = str(launch.get("binderhub_url", "https://mybinder.org")).rstrip("/")
                ui = "lab/tree" if launch.get("notebook_interface") == "jupyterlab" else "tree"
                button["url"] = f"{base}/v2/gh/{org}/{repo}/{quote(branch)}?urlpath={ui}/{path}"
            kept.append(button)
        buttons[:] = kept


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("talkbook.config")  # talkbook_notebooks_branch
    app.connect("html-page-context", point_launch_buttons, priority=550)
    app.connect("build-finished", publish_notebooks)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
