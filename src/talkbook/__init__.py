"""talkbook: the kit behind the talkbook Jupyter Book (Sphinx extension + CLI)."""

__version__ = "0.1.0"
