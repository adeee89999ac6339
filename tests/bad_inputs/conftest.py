"""Fixtures for the bad-input suite: the harness module lives next to this file."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
