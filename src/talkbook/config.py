"""A book's choices, declared once: one typed dataclass, registered as ``talkbook_<name>``.

Every talkbook extension loads this module as an extension of its own
(``app.setup_extension("talkbook.config")``), so the settings exist whichever extensions a
book lists, and are validated once, at ``config-inited``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

from . import __version__

PREFIX = "talkbook_"


@dataclass(frozen=True)
class TalkbookConfig:
    """Settings read from ``_config.yml`` (``sphinx: config: talkbook_<name>: ...``)."""

    data_dir: str = field(
        default="data",
        metadata={
            "help": "folder with the catalog CSVs (and schema.yaml), relative to the book root; "
            "a book without it has no catalog"
        },
    )
    notes_dir: str = field(
        default="",
        metadata={"help": "pages under this folder must carry valid `talkbook:` front matter"},
    )
    talks_path: str = field(
        default="talks", metadata={"help": "folder of the generated talk pages"}
    )
    conferences_path: str = field(
        default="conferences", metadata={"help": "folder of the generated conference pages"}
    )
    tags_path: str = field(default="tags", metadata={"help": "folder of the generated tag pages"})
    speakers_path: str = field(
        default="speakers",
        metadata={"help": "folder of the generated speaker pages (when talks name speakers)"},
    )
    catalog_page: str = field(
        default="",
        metadata={"help": "docname of the page with the talk-catalog directive (header link)"},
    )
    redirects_file: str = field(
        default="",
        metadata={"help": "CSV of renamed pages (from,to); default <data_dir>/redirects.csv"},
    )
    header_kinds: tuple[str, ...] = field(
        default=(),
        metadata={"help": "front-matter kinds whose pages get a menu in the header, e.g. thread"},
    )
    notebooks_branch: str = field(
        default="",
        metadata={
            "help": "branch CI fills with the built .ipynb files; launch buttons open them there"
        },
    )
    note_kinds: tuple[str, ...] = field(
        default=("review", "memo", "essay"),
        metadata={"help": "front-matter kinds that are notes (articles in feeds and sharing tags)"},
    )
    feed_size: int = field(
        default=50,
        metadata={
            "help": "newest notes in the Atom feed (readers poll it: it must not grow with "
            "the book)"
        },
    )

    @property
    def generated_folders(self) -> dict[str, str]:
        """Kind of generated page -> its folder."""
        return {
            "talk": self.talks_path,
            "conference": self.conferences_path,
            "tag": self.tags_path,
            "speaker": self.speakers_path,
        }


def read(config: Config) -> TalkbookConfig:
    """The settings as one typed object."""
    values: dict[str, Any] = {}
    for f in fields(TalkbookConfig):
        value = getattr(config, PREFIX + f.name)
        values[f.name] = tuple(value) if isinstance(f.default, tuple) else value
    return TalkbookConfig(**values)


def data_dir(app: Sphinx) -> Path:
    return Path(app.confdir) / read(app.config).data_dir


def validate(app: Sphinx, config: Config) -> None:
    """Fail early, naming the setting, when a value cannot work."""
    cfg = read(config)
    for f in fields(TalkbookConfig):
        value = getattr(cfg, f.name)
        if not isinstance(value, type(f.default)):
            raise ConfigError(
                f"{PREFIX}{f.name}: expected {type(f.default).__name__}, got {value!r} "
                f"({f.metadata['help']})"
            )
    seen: dict[str, str] = {}
    for kind, folder in cfg.generated_folders.items():
        if not folder or "/" in folder.strip("/") or folder.startswith((".", "_")):
            raise ConfigError(
                f"{PREFIX}{kind}s_path: {folder!r} must be a single folder name, e.g. '{kind}s'"
            )
        if folder in seen:
            raise ConfigError(
                f"{PREFIX}{kind}s_path and {PREFIX}{seen[folder]}s_path are both {folder!r} "
                "(give each kind of generated page its own folder)"
            )
        seen[folder] = kind


def setup(app: Sphinx) -> dict[str, Any]:
    for f in fields(TalkbookConfig):
        kinds = (list, tuple) if isinstance(f.default, tuple) else (type(f.default),)
        app.add_config_value(PREFIX + f.name, f.default, "env", types=kinds)
    app.connect("config-inited", validate, priority=100)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
