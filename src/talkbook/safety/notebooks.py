"""Notebooks are code from strangers: what their outputs may put in a page, what their
execution may leave behind, and when they must run again.

* Outputs: ``text/html`` is sanitized like raw HTML in notes; JavaScript outputs
  (``application/javascript``, widget views) and widget state are dropped — unless the
  notebook's docname matches ``talkbook_safety_trusted_notebooks`` (reviewed by maintainers).
* Execution guard: the project's files are snapshotted before a notebook is read (and run)
  and compared after; a notebook that changes, deletes or adds a file, or leaves a process
  running after its kernel stopped, fails the build naming the notebook. Orphaned processes
  are re-parented to the build (Linux child subreaper), found and stopped.
* Data reads: files under the project named by a string literal in a notebook's code
  (``"../../data/tags.csv"``, ``ROOT / "data"``) are dependencies of the page; when their
  digest changes the page is read again and its jupyter-cache record is dropped, so the
  notebook runs again instead of showing stale outputs.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import time
from fnmatch import fnmatchcase
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from ..files import git_files

logger = logging.getLogger(__name__)

JS_MIME_TYPES = frozenset(
    {
        "application/javascript",
        "text/javascript",
        "application/vnd.jupyter.widget-view+json",
        "application/vnd.jupyter.widget-state+json",
    }
)
SKIP_DIRS = frozenset(
    {"_build", "__pycache__", ".jupyter_cache", "node_modules", "jupyter_execute"}
)
MAX_READ_FILES = 2000  # a notebook naming a huge folder still costs bounded work


def trusted(config, docname: str) -> bool:
    """True when maintainers listed the notebook in ``talkbook_safety_trusted_notebooks``."""
    return any(fnmatchcase(docname, g) for g in config.talkbook_safety_trusted_notebooks)


def is_notebook(path: Path, text: str) -> bool:
    """An .ipynb file or a MyST notebook (jupytext/kernelspec front matter)."""
    if path.suffix == ".ipynb":
        return True
    try:
        from myst_nb.core.read import is_myst_markdown_notebook

        return bool(is_myst_markdown_notebook(text))
    except Exception:  # noqa: BLE001  (myst-nb missing or changed: fall back to a look)
        head = text[:4000]
        return text.startswith("---") and ("kernelspec:" in head or "jupytext:" in head)


# ---------------------------------------------------------------------------- snapshots


def project_files(root: Path) -> list[Path]:
    """The project's files: git's tracked and untracked-not-ignored files when ``root`` is a
    git work tree, else a walk that skips hidden folders and build output."""
    listed = git_files(root, root)
    if listed is not None:
        return listed
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        found += [Path(dirpath, f) for f in filenames]
    return found


def _walk(folder: Path) -> list[Path]:
    found = []
    for dirpath, _dirnames, filenames in os.walk(folder):
        found += [Path(dirpath, f) for f in filenames]
    return found


def snapshot(root: Path, extra: tuple[Path, ...] = ()) -> dict[str, tuple[int, int, int, int]]:
    """rel path -> (size, mtime_ns, ctime_ns, inode) of the project's files and of every file
    under ``extra`` folders (the HTML output and the doctrees: a notebook writing there would
    publish a page or change another page's parsed document). ctime cannot be set back by a
    program, so a rewrite that restores the mtime still shows."""
    snap = {}
    listed = project_files(root)
    for folder in extra:
        if folder.is_dir():
            listed += _walk(folder)
    for path in listed:
        try:
            st = path.lstat()
        except OSError:
            continue
        snap[Path(os.path.relpath(path, root)).as_posix()] = (
            st.st_size,
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_ino,
        )
    return snap


def compare(before: dict, after: dict) -> list[str]:
    """Human-readable changes between two snapshots (bounded list)."""
    changes = [f"deleted {p}" for p in sorted(before.keys() - after.keys())]
    changes += [f"created {p}" for p in sorted(after.keys() - before.keys())]
    changes += [
        f"modified {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]
    ]
    return changes


# ---------------------------------------------------------------------------- processes

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux), so a daemon a notebook
    starts (double fork, setsid) is still found among our children."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def descendants() -> dict[int, str]:
    """pid -> command of every live descendant of this process."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return {}
    out = {}
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                _reap(child.pid)
                continue
            out[child.pid] = " ".join(child.cmdline()[:3]) or child.name()
        except psutil.Error:
            continue
    return out


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def leftovers(before: dict[int, str], grace_s: float = 3.0) -> dict[int, str]:
    """Processes started since ``before`` that are still running after ``grace_s`` (a kernel
    may need a moment to exit after shutdown)."""
    deadline = time.monotonic() + grace_s
    while True:
        new = {p: c for p, c in descendants().items() if p not in before}
        if not new or time.monotonic() >= deadline:
            return new
        time.sleep(0.1)


def stop(pids: dict[int, str]) -> None:
    import psutil

    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.Error:
            continue
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=3)
    for pid in pids:
        _reap(pid)


# ---------------------------------------------------------------------------- data reads

_STRING_RE = re.compile(r"""(?P<q>["'])(?P<s>[^"'\n\\]{1,300})(?P=q)""")


def read_paths(text: str, page_dir: Path, root: Path) -> list[Path]:
    """Files inside ``root`` a notebook may read: every string literal in its text that names
    an existing file or folder (relative to the page or to the project root). Folders count
    with every file in them. Conservative: an extra dependency only costs a re-run."""
    found: set[Path] = set()
    root_real = Path(os.path.realpath(root))
    for m in _STRING_RE.finditer(text):
        s = m["s"].strip()
        if not s or s.startswith(("http:", "https:")) or len(found) >= MAX_READ_FILES:
            continue
        for base in (page_dir, root):
            try:
                cand = Path(os.path.realpath(base / s))
            except (OSError, ValueError):
                continue
            if cand == root_real or not cand.is_relative_to(root_real):
                continue
            rel = cand.relative_to(root_real)
            if any(part.startswith(".") or part in SKIP_DIRS for part in rel.parts):
                continue
            if cand.is_file():
                found.add(cand)
            elif cand.is_dir() and cand != Path(os.path.realpath(page_dir)):
                for dirpath, dirnames, filenames in os.walk(cand):
                    dirnames[:] = [
                        d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                    ]
                    found.update(Path(dirpath, f) for f in filenames if not f.startswith("."))
                    if len(found) >= MAX_READ_FILES:
                        break
    return sorted(found)[:MAX_READ_FILES]


def digest(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.relative_to(os.path.realpath(root)).as_posix().encode() + b"\0")
        try:
            h.update(hashlib.sha256(p.read_bytes()).digest())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()


def forget_cached_run(env: BuildEnvironment, source: Path) -> bool:
    """Drop the jupyter-cache record of the notebook at ``source`` so myst-nb runs it again
    (its cache key is the code cells only, not the files they read)."""
    cfg = getattr(env, "mystnb_config", None)
    cache_path = getattr(cfg, "execution_cache_path", None)
    if not cache_path or not Path(cache_path).exists():
        return False
    try:
        from jupyter_cache import get_cache

        cache = get_cache(cache_path)
        dropped = False
        for record in cache.list_cache_records():
            if record.uri == str(source):
                cache.remove_cache(record.pk)
                dropped = True
        return dropped
    except Exception as err:  # noqa: BLE001  (a broken cache: myst-nb reports it itself)
        logger.info(f"talkbook.safety: could not drop the cached run of {source}: {err}")
        return False


# ---------------------------------------------------------------------------- hooks


def _state(app: Sphinx) -> dict:
    if not hasattr(app, "_talkbook_safety_runs"):
        app._talkbook_safety_runs = {}  # type: ignore[attr-defined]
    return app._talkbook_safety_runs  # type: ignore[attr-defined]


def project_root(app: Sphinx) -> Path:
    setting = app.config.talkbook_safety_root
    return Path(app.srcdir, setting).resolve() if setting else Path(app.srcdir).resolve()


def _outputs(app: Sphinx) -> tuple[Path, ...]:
    """The build's HTML and doctree folders when they lie outside the project (inside it, git
    ignores them, so they are walked here as well). In a parallel build the other readers
    write doctrees while a notebook runs, so only the HTML output is watched there."""
    if app.parallel > 1:
        return (Path(app.outdir),)
    return (Path(app.outdir), Path(app.doctreedir))


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    """Before a notebook is parsed (and executed): note its data reads, drop a stale cached
    run, snapshot the project and the live child processes."""
    path = Path(app.env.doc2path(docname))
    if not is_notebook(path, source[0]):
        return
    root = project_root(app)
    reads = read_paths(source[0], path.parent, root)
    for p in reads:
        app.env.note_dependency(str(p))
    new = digest(reads, root)
    digests = app.env.talkbook_safety_reads  # type: ignore[attr-defined]
    old = digests.get(docname)
    digests[docname] = new
    if reads and old is not None and old != new and forget_cached_run(app.env, path):
        logger.info(f"talkbook.safety: {docname} reads changed files; running it again")
    if app.config.talkbook_safety_guard_execution:
        become_subreaper()
        _state(app)[docname] = (snapshot(root, _outputs(app)), descendants())


def on_doctree_read_guard(app: Sphinx, docname: str) -> None:
    """After the notebook ran: compare the project and the processes with the snapshot."""
    run = _state(app).pop(docname, None)
    if run is None:
        return
    before_files, before_procs = run
    root = project_root(app)
    after_files = snapshot(root, _outputs(app))
    changes = compare(before_files, after_files)
    # a file planted in the HTML output would be published even by a --keep-going build
    html_out = Path(os.path.realpath(app.outdir))
    for rel in after_files.keys() - before_files.keys():
        planted = Path(os.path.realpath(root / rel))
        if planted.is_relative_to(html_out):
            planted.unlink(missing_ok=True)
    if changes:
        shown = ", ".join(changes[:5]) + (
            f" and {len(changes) - 5} more" if len(changes) > 5 else ""
        )
        logger.warning(
            f"notebook changed the repository while it ran: {shown} (a notebook may only read "
            "project files; write to tempfile.TemporaryDirectory() instead; restore the files "
            "with `git checkout -- .`)",
            location=docname,
            type="talkbook",
            subtype="safety",
        )
    left = leftovers(before_procs)
    if left:
        stop(left)
        shown = ", ".join(f"{pid} ({cmd})" for pid, cmd in list(left.items())[:5])
        logger.warning(
            f"notebook left processes running after its kernel stopped: {shown} (stop every "
            "process a cell starts, e.g. `with subprocess.Popen(...) as p: ...`; they were "
            "killed)",
            location=docname,
            type="talkbook",
            subtype="safety",
        )


def drop_widget_state(app: Sphinx, docname: str) -> None:
    """Page-level widget state and the widget manager scripts myst-nb would add (CDN)."""
    meta = getattr(app.env, "nb_metadata", {}).get(docname)
    if meta and meta.get("js_files") and not trusted(app.config, docname):
        meta["js_files"] = {}
        logger.warning(
            "notebook widget state and scripts dropped (untrusted notebook: interactive "
            "widgets run scripts; show a static table or figure, or ask maintainers to add "
            f"{docname!r} to talkbook_safety_trusted_notebooks)",
            location=docname,
            type="talkbook",
            subtype="safety",
        )


def env_setup(app: Sphinx, env: BuildEnvironment, docnames=None) -> None:
    if not hasattr(env, "talkbook_safety_reads"):
        env.talkbook_safety_reads = {}  # type: ignore[attr-defined]


def on_env_purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    # the digest must survive the re-read that it triggers: keep it (only removed docs go)
    if docname not in env.found_docs:
        getattr(env, "talkbook_safety_reads", {}).pop(docname, None)


def on_env_merge_info(app, env, docnames, other) -> None:
    env_setup(app, env)
    for doc in docnames:
        if doc in getattr(other, "talkbook_safety_reads", {}):
            env.talkbook_safety_reads[doc] = other.talkbook_safety_reads[doc]
