"""Content: every talk is covered, every page is in the toc with valid front matter,
every glossary entry is used, and no passage repeats the source notes word for word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from helpers import ROOT

from talkbook.catalog import load_catalog
from talkbook.frontmatter import load_field_specs, read_page, validate_front_matter

CATALOG = load_catalog(ROOT / "data")
SEEDS = ROOT.parent / "shared" / "seeds"
MIN_RUN = 40


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = {toc["root"]}

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                found.add(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return found


def book_pages() -> list[Path]:
    return sorted(
        p
        for p in (ROOT / "book").rglob("*")
        if p.suffix in {".md", ".ipynb"} and ".ipynb_checkpoints" not in p.parts
    )


def test_every_page_is_in_the_toc_and_every_entry_exists() -> None:
    listed = toc_files()
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in book_pages()}
    assert pages - listed == set(), "pages missing from _toc.yml (orphans)"
    assert listed - pages == set(), "_toc.yml entries with no file"


@pytest.mark.parametrize("page", book_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_front_matter_is_valid(page: Path) -> None:
    fm, problems = read_page(page)
    problems += validate_front_matter(
        fm, str(page.relative_to(ROOT)), CATALOG, load_field_specs(ROOT / "data")
    )
    assert not problems, "\n".join(map(str, problems))


def test_every_catalog_talk_is_covered_by_a_note_section(built_book: Path) -> None:
    uncovered = []
    for talk_id in CATALOG.talk_ids:
        page = BeautifulSoup(
            (built_book / "talks" / f"{talk_id}.html").read_text(encoding="utf-8"), "html.parser"
        )
        if not page.find(id="covered-in").select("ul.talkbook-covers a"):
            uncovered.append(talk_id)
    assert uncovered == []


def glossary_entries() -> list[list[str]]:
    """Each glossary entry's names (its consecutive term lines)."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    body = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    entries, current = [], []
    for line in body.splitlines():
        if not line.strip() or line.startswith(":"):
            if current:
                entries.append(current)
                current = []
            continue
        if line.startswith((" ", "\t")):
            if current:
                entries.append(current)
                current = []
        else:
            current.append(line.strip())
    return entries


def test_every_glossary_term_is_used() -> None:
    used = set()
    for page in book_pages():
        for m in re.finditer(r"\{term\}`([^`]+)`", page.read_text(encoding="utf-8")):
            target = re.search(r"<([^<>]+)>$", m[1])
            used.add((target[1] if target else m[1]).strip())
    entries = glossary_entries()
    assert len(entries) >= 20
    unused = [names for names in entries if not set(names) & used]
    assert unused == []


def fold(text: str) -> str:
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"\s+", " ", text)


def test_book_repeats_no_sentence_of_the_source_notes() -> None:
    if not SEEDS.is_dir():
        pytest.skip(
            f"source notes not found at {SEEDS} (they live beside the repository in shared/seeds)"
        )
    seeds = [fold(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    grams = {s[i : i + MIN_RUN] for s in seeds for i in range(len(s) - MIN_RUN + 1)}
    titles = [
        fold(t).strip() for col in ("title", "title_en") for t in CATALOG.talks[col] if len(t) >= 10
    ]
    repeats = []
    for page in book_pages():
        lines = page.read_text(encoding="utf-8").splitlines()
        text = fold("\n".join(line for line in lines if not re.match(r"\s*(#|title\s*:)", line)))
        for title in titles:  # talk titles are facts, not sentences
            text = text.replace(title, " ")
        for i in range(len(text) - MIN_RUN + 1):
            if text[i : i + MIN_RUN] in grams:
                repeats.append(f"{page.relative_to(ROOT)}: {text[i : i + MIN_RUN]!r}")
                break
    assert repeats == []
