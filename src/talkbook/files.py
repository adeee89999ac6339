"""The repository on disk: where the book, catalog and toc are, which files are pages, and
atomic writes. Shared by ``talkbook check``, ``talkbook new`` and ``talkbook stats``."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

PAGE_SUFFIXES = (".md", ".ipynb")
SKIP_DIRS = {"_build", ".ipynb_checkpoints", "__pycache__", ".jupyter_cache", "node_modules"}


class ProjectError(Exception):
    """The folder is not a talkbook repository (no _toc.yml / _config.yml)."""


@dataclass(frozen=True)
class Project:
    """Paths of one talkbook checkout, read from ``_config.yml`` where configurable."""

    root: Path
    data_dir: Path
    notes_dir: Path
    book_dir: Path
    toc_path: Path
    config_path: Path
    language: str = "en"

    @classmethod
    def at(cls, root: Path) -> Project:
        root = Path(root).resolve()
        config_path = root / "_config.yml"
        sphinx_config: dict = {}
        raw: dict = {}
        if config_path.is_file():
            try:
                raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
                sphinx_config = (raw.get("sphinx") or {}).get("config") or {}
            except (yaml.YAMLError, UnicodeDecodeError, AttributeError):
                sphinx_config = {}  # `talkbook check` reports a broken _config.yml itself
        language = sphinx_config.get("language") or (
            raw.get("language") if isinstance(raw, dict) else None
        )
        return cls(
            root=root,
            data_dir=root / str(sphinx_config.get("talkbook_data_dir", "data")),
            notes_dir=root / str(sphinx_config.get("talkbook_notes_dir", "book/notes")),
            book_dir=root / "book",
            toc_path=root / "_toc.yml",
            config_path=config_path,
            language=str(language or "en").split("_")[0],
        )

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The nearest folder at or above ``start`` (default: cwd) holding ``_toc.yml``."""
        here = Path(start or Path.cwd()).resolve()
        if here.is_file():
            here = here.parent
        for folder in (here, *here.parents):
            if (folder / "_toc.yml").is_file() or (folder / "_config.yml").is_file():
                return cls.at(folder)
        raise ProjectError(
            f"{here} is not inside a talkbook repository (no _toc.yml or _config.yml above it); "
            "run the command from the repository or pass --root"
        )

    def rel(self, path: Path) -> str:
        """Path relative to the repository root, with forward slashes."""
        return Path(os.path.relpath(Path(path).resolve(), self.root)).as_posix()

    def inside(self, path: Path) -> bool:
        """True when ``path`` (symlinks resolved) is inside the repository."""
        try:
            Path(os.path.realpath(path)).relative_to(os.path.realpath(self.root))
        except ValueError:
            return False
        return True

    def files(self, under: Path) -> list[Path]:
        """Files under ``under`` that belong to the repository (git's view when available:
        tracked plus untracked-but-not-ignored; otherwise a walk that skips build output and
        hidden folders)."""
        if not under.exists():
            return []
        listed = git_files(self.root, under)
        if listed is not None:
            return listed
        out = []
        for dirpath, dirnames, filenames in os.walk(under):
            dirnames[:] = sorted(
                d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
            )
            out += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith(".")]
        return out

    def pages(self) -> list[Path]:
        """Every page of the book: .md and .ipynb files under ``book/``."""
        return [p for p in self.files(self.book_dir) if p.suffix in PAGE_SUFFIXES]


def git_files(root: Path, under: Path) -> list[Path] | None:
    """Files under ``under`` in git's view (tracked plus untracked-not-ignored); None when
    ``root`` is no git work tree or git cannot be run."""
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                os.path.relpath(under, root),
            ],
            capture_output=True,
            check=True,
            timeout=20,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = sorted({root / p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})
    return [p for p in paths if p.is_file() and not (set(p.relative_to(root).parts) & SKIP_DIRS)]


def write_atomic(path: Path, data: bytes, *, exclusive: bool = False, sync: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.
    ``sync=False`` skips the fsync: for build outputs, which a crash may lose but must
    not leave half-written.

    With ``exclusive`` the write fails with :class:`FileExistsError` when ``path`` exists
    (even if it appears between the check and the write): the temporary file is hard-linked
    into place, which refuses to replace anything.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # no hard links on this filesystem: best effort
                if path.exists():
                    raise FileExistsError(path) from None
                os.replace(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_if_changed(path: Path, data: bytes, *, sync: bool = True) -> bool:
    """:func:`write_atomic` unless the file already holds *data* (its mtime then stays, and
    nothing that watches it sees a change); the folder is made when missing. True when
    written."""
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, sync=sync)
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- one writer

LOCK_TIMEOUT_S = 120.0
_HELD: dict[str, int] = {}


class WriteError(Exception):
    """A write the command promised cannot happen; ``str()`` is ``path: problem (fix)``."""


def lock_path(root: Path) -> Path:
    """Where the write lock of the repository at ``root`` lives: a file in the system's
    temporary folder named after the repository (never a file in the repository, which may be
    read-only and whose status should stay clean)."""
    digest = hashlib.sha256(os.fsencode(os.path.realpath(root))).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"talkbook-{digest}.lock"


@contextlib.contextmanager
def write_lock(root: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the repository's write lock: commands that read, change and write ``_toc.yml`` or
    a catalog CSV run one at a time, so none overwrites another's change."""
    import filelock

    key = str(lock_path(root))
    if _HELD.get(key):  # already held by this process (a command calling a helper that locks)
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    lock = filelock.FileLock(str(lock_path(root)), timeout=timeout, mode=0o666)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise WriteError(
            f"{lock_path(root)}: another talkbook command has been writing to this repository "
            f"for {timeout:.0f} s (wait for it to finish, or remove the file if no talkbook "
            "command is running)"
        ) from None
    except OSError as err:
        raise WriteError(describe_os_error(lock_path(root), err)) from None
    _HELD[key] = 1
    try:
        yield
    finally:
        _HELD[key] = 0
        lock.release()


def describe_os_error(path: Path, err: OSError) -> str:
    """``path: problem (fix)`` for an error writing ``path``."""
    shown = str(path)
    try:
        shown = os.path.relpath(path)
    except ValueError:
        pass
    if err.errno == errno.EROFS:
        return f"{shown}: the file system is read-only (run the command in a writable checkout)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"{shown}: permission denied (check the file's and its folder's permissions)"
    if err.errno == errno.ENOSPC:
        return f"{shown}: no space left on the device (free some space and run it again)"
    reason = err.strerror or err.__class__.__name__
    return f"{shown}: cannot write: {reason} (fix the problem and run the command again)"
