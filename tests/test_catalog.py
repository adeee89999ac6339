"""The talk catalog: the real data validates, and every bad fixture gives its message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import ROOT, read_rows, write_rows

from talkbook.catalog import CatalogError, load_catalog, split_list

FIXTURES = Path(__file__).parent / "catalog_fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_real_catalog_is_valid() -> None:
    cat = load_catalog(ROOT / "data")
    assert len(cat.talks) >= 35
    assert set(cat.conferences["id"]) == {
        "deview-2017",
        "deview-2019",
        "deview-2023",
        "gdg-devfest-2019",
    }
    tags = set(cat.tags["id"])
    for row in cat.talks.to_dict("records"):
        assert set(split_list(row["tags"])) <= tags


def test_real_catalog_never_invents_speakers() -> None:
    """Only the keynote speech has a speaker the notes name."""
    cat = load_catalog(ROOT / "data")
    named = cat.talks[cat.talks["speakers"] != ""]
    assert list(named["id"]) == ["deview-2019-keynote-president"]
    assert set(cat.talks["video_url"]) == {""}


@pytest.mark.parametrize("case", CASES)
def test_bad_catalog_reports_file_line_and_fix(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    for f in [*(FIXTURES / case).glob("*.csv"), *(FIXTURES / case).glob("*.yaml")]:
        shutil.copy(f, data / f.name)
    monkeypatch.chdir(tmp_path)  # messages name paths relative to where the user stands
    with pytest.raises(CatalogError) as err:
        load_catalog(Path("data"))
    message = str(err.value)
    for expected in (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").splitlines():
        assert expected in message


def test_all_problems_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    rows = read_rows(data / "talks.csv")
    rows[0]["kind"] = "talk"
    rows[1]["conference"] = "nowhere"
    rows[2]["title"] = ""
    write_rows(data / "talks.csv", rows)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CatalogError) as err:
        load_catalog(Path("data"))
    message = str(err.value)
    assert "data/talks.csv:2: kind: 'talk' is not one of keynote, session" in message
    assert "data/talks.csv:3: conference: unknown conferences id 'nowhere'" in message
    assert "data/talks.csv:4: title: required value is empty" in message
