"""The extension's configuration, declared once and registered with a ``talkbook_`` prefix."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

PREFIX = "talkbook_"


@dataclass
class TalkbookConfig:
    """Settings read from ``_config.yml`` (``sphinx: config: talkbook_<name>: ...``)."""

    data_dir: str = field(
        default="data",
        metadata={
            "help": "folder with the catalog CSVs and schema.yaml, relative to the book root"
        },
    )
    notes_dir: str = field(
        default="book/notes",
        metadata={"help": "pages here must carry valid `talkbook:` front matter"},
    )
    talks_path: str = field(
        default="talks", metadata={"help": "URL folder of the generated talk pages"}
    )
    conferences_path: str = field(
        default="conferences", metadata={"help": "URL folder of the generated conference pages"}
    )
    tags_path: str = field(
        default="tags", metadata={"help": "URL folder of the generated tag pages"}
    )
    catalog_page: str = field(
        default="book/catalog",
        metadata={"help": "docname of the page with the talk-catalog directive"},
    )
    repository_blob_url: str = field(
        default="",
        metadata={"help": "base URL for 'source' links, e.g. https://github.com/o/r/blob/main"},
    )


def register(app: Sphinx) -> None:
    """Add every field as a Sphinx config value (rebuild 'env' when it changes)."""
    for f in fields(TalkbookConfig):
        app.add_config_value(PREFIX + f.name, f.default, "env", types=[type(f.default)])


def read(config: Config) -> TalkbookConfig:
    return TalkbookConfig(
        **{f.name: getattr(config, PREFIX + f.name) for f in fields(TalkbookConfig)}
    )


def validate(app: Sphinx, config: Config) -> None:
    """Fail early, with the setting's name, when a path setting points nowhere."""
    cfg = read(config)
    data = Path(app.confdir) / cfg.data_dir
    if not (data / "schema.yaml").is_file():
        raise ConfigError(
            f"{PREFIX}data_dir: {data} has no schema.yaml (set it to the folder holding the catalog CSVs)"
        )
    for name in ("talks_path", "conferences_path", "tags_path"):
        value = getattr(cfg, name)
        if not value or "/" in value.strip("/") or value.startswith("."):
            raise ConfigError(
                f"{PREFIX}{name}: {value!r} must be a single folder name, e.g. 'talks'"
            )
