"""The catalog without pandas: a build's path reads rows only, the DataFrames the CLI uses
hold the same rows, and canonical order is the same (numbers as numbers, conferences by
year) whichever form the rows come in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from helpers import ROOT

from talkbook.catalog import (
    canonical_order,
    conference_order,
    load_catalog,
    load_schema,
    read_table,
    write_table,
)

SRC = ROOT / "src"


def test_build_path_never_imports_pandas() -> None:
    """What a build runs on every rebuild: the extension modules, the cached catalog, the
    per-row digests, front-matter checks and the header links' counts."""
    code = f"""
import sys
import talkbook.ext, talkbook.meta, talkbook.directives, talkbook.dataout, talkbook.frontmatter
from talkbook.catalog import cached_catalog
from talkbook.domain import catalog_row_digests
cat = cached_catalog({str(ROOT / "data")!r})
assert catalog_row_digests(cat)
assert cat.count("tags") and cat.count("conferences") and cat.people()
assert set(cat.rows_by_id("talks")) == set(cat.talk_ids)
print("pandas" in sys.modules)
"""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", out.stderr


def test_tables_as_dataframes_hold_the_rows() -> None:
    cat = load_catalog(ROOT / "data")
    schema = load_schema(ROOT / "data")
    for table in ("conferences", "tags", "talks"):
        frame = getattr(cat, table)
        assert list(frame.columns) == schema[table].names
        assert frame.to_dict("records") == cat.rows(table)
        assert cat.count(table) == len(frame) > 0
    # read_table gives the same rows, with their lines in the file
    frame, problems = read_table(ROOT / "data" / "talks.csv", schema["talks"])
    assert problems == []
    assert frame.drop(columns="_line").to_dict("records") == cat.rows("talks")
    assert list(frame["_line"]) == list(range(2, 2 + len(frame)))


def test_canonical_order_numbers_and_conferences(tmp_path: Path) -> None:
    schema = load_schema(ROOT / "data")
    confs = [
        {"id": "b-conf", "year": "2019"},
        {"id": "a-conf", "year": "2023"},
        {"id": "c-conf", "year": "2019"},
    ]
    order = conference_order(confs, schema["conferences"])
    assert order == {"b-conf": 0, "c-conf": 1, "a-conf": 2}
    assert conference_order(pd.DataFrame(confs), schema["conferences"]) == order

    talks = schema["talks"]
    rows = [
        {"id": "a-conf-x", "conference": "a-conf", "day": "1", "order": "1"},
        {"id": "c-conf-y", "conference": "c-conf", "day": "2", "order": "10"},
        {"id": "c-conf-z", "conference": "c-conf", "day": "2", "order": "9"},
        {"id": "b-conf-w", "conference": "b-conf", "day": "", "order": ""},
    ]
    path = tmp_path / "talks.csv"
    write_table(path, rows, talks, order)
    written = [line.split(",")[0] for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    assert written == ["b-conf-w", "c-conf-z", "c-conf-y", "a-conf-x"]
    frame = pd.DataFrame(rows, columns=talks.names, dtype=str).fillna("")
    assert list(canonical_order(frame, talks, order)["id"]) == written
