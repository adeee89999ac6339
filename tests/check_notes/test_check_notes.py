"""`talkbook check` and the strict build on the bad notes of ``notes/`` (see cases.yaml).

Each bad note is checked alone on a fresh copy of the small book; then one strict build of
the book with every (buildable) bad note at once shows which notes the build rejects, and
each of those must be rejected by the check too.
"""

from __future__ import annotations

import re
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_notes_harness import (  # noqa: E402
    NOTES,
    NOTES_DIR,
    add_notes,
    load_cases,
    make_tree,
    missing_messages,
    run_build,
    run_cli,
)

from talkbook.check import RuleContext, note_problems  # noqa: E402
from talkbook.check.myst import md_config  # noqa: E402

CASES = load_cases()
PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): ")


def test_every_note_has_a_case():
    assert sorted(CASES) == sorted(p.name for p in NOTES.iterdir())


def test_good_tree_passes(tmp_path):
    result = run_cli(make_tree(tmp_path / "book"), "check")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_rejects(name, tmp_path):
    root = make_tree(tmp_path / "book")
    add_notes(root, [name])
    start = time.perf_counter()
    result = run_cli(root, "check")
    assert time.perf_counter() - start < 5
    assert result.exit_code == 1, result.output
    assert not missing_messages([CASES[name]["check"]], result.output), result.output
    # the note's problems only: the rest of the book is fine
    problems = [line for line in result.output.splitlines() if PROBLEM_LINE.match(line)]
    assert problems and all(p.startswith(f"{NOTES_DIR}/{name}:") for p in problems), problems


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """One strict build of the small book with every buildable bad note."""
    base = tmp_path_factory.mktemp("check-notes-build")
    root = make_tree(base / "src")
    names = sorted(n for n, c in CASES.items() if c["build"] != "skip")
    add_notes(root, names)
    return run_build(root, base / "out")


def test_strict_build_rejects_what_cases_say(build):
    assert build.exit_code != 0, build.output[-4000:]
    wanted = [c["build"] for c in CASES.values() if c["build"] not in (None, "skip")]
    missing = missing_messages(wanted, build.output)
    assert not missing, f"missing {missing} in:\n{build.output[-6000:]}"


def test_build_rejects_only_what_check_rejects(build, tmp_path):
    """For every bad note: the strict build warns about it => the check fails on it."""
    warned = {
        name
        for name in CASES
        if re.search(
            rf"{re.escape(NOTES_DIR)}/{re.escape(name)}(:\d+)?: (WARNING|ERROR)", build.output
        )
    }
    assert warned, build.output[-4000:]
    root = make_tree(tmp_path / "book")
    add_notes(root, sorted(warned))
    result = run_cli(root, "check")
    rejected = {
        m["path"].rsplit("/", 1)[-1]
        for m in map(PROBLEM_LINE.match, result.output.splitlines())
        if m
    }
    assert warned <= rejected, f"the build rejects {sorted(warned - rejected)}, the check does not"


# --------------------------------------------------------------------------- the toc


def test_misspelled_toc_key_check_and_build(tmp_path):
    root = make_tree(tmp_path / "src")
    toc = root / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8").replace("chapters:", "chapter:"), "utf-8")
    result = run_cli(root, "check")
    assert result.exit_code == 1, result.output
    assert "_toc.yml:6: unknown key 'chapter' in the toc (did you mean 'chapters'?" in result.output
    build = run_build(root, tmp_path / "out")
    assert build.exit_code != 0
    assert "chapters" in build.output


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("ticks", [16_000, 990_000])
def test_backticks_after_a_role_check_in_linear_time(ticks, tmp_path):
    """A role followed by a run of backticks (the regex checker took 52 s for 16,000)."""
    root = make_tree(tmp_path / "book")
    head = "---\ntalkbook: {kind: page, language: ko, description: 백틱.}\n---\n\n# 백틱\n\n"
    (root / NOTES_DIR / "ticks.md").write_text(head + "{talk}" + "`" * ticks + "\n", "utf-8")
    (root / "_toc.yml").write_text(
        (root / "_toc.yml").read_text(encoding="utf-8") + f"      - file: {NOTES_DIR}/ticks\n",
        "utf-8",
    )
    start = time.process_time()  # CPU time: other work on a shared machine does not count
    result = run_cli(root, "check")
    elapsed = time.process_time() - start
    assert "Traceback" not in result.output
    assert elapsed < 2, f"check took {elapsed:.1f} s on {ticks} backticks"


FLOODS = {
    "brackets": ("[](" * 6000 + "\n\n") * 55,
    "escaped-backticks": ("\\``" * 6000 + "\n\n") * 55,
    "emphasis": ("**<a>**a" * 2000 + "\n\n") * 62,
    "unclosed-brackets": ("[" * 33 + "가" * 600 + "\n\n") * 1500,
    "nested-directives": ":::{note}\n" * 100_000,
}


@pytest.mark.parametrize("name", sorted(FLOODS))
def test_markup_floods_are_refused_in_linear_time(name, tmp_path):
    """Inputs on which markdown-it-py's inline parser is quadratic (about 1 MB each: tens of
    seconds to parse, in the build too) are refused after a linear scan."""
    text = "---\ntalkbook: {kind: page, language: ko, description: x.}\n---\n\n# t\n\n"
    text += FLOODS[name]
    ctx = RuleContext(root=tmp_path, md_config=md_config(tmp_path))
    start = time.process_time()
    problems = note_problems(f"{NOTES_DIR}/flood.md", text, ctx)
    elapsed = time.process_time() - start
    assert any("too large to parse safely" in p.message for p in problems), problems
    assert elapsed < 2, f"{elapsed:.1f} s"


def test_alias_bomb_is_refused_without_expanding(tmp_path):
    text = (NOTES / "alias-bomb.md").read_text(encoding="utf-8")
    ctx = RuleContext(root=tmp_path, md_config=md_config(tmp_path))
    tracemalloc.start()
    start = time.perf_counter()
    problems = note_problems(f"{NOTES_DIR}/alias-bomb.md", text, ctx)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert any("YAML anchor &l0 is not allowed" in p.message for p in problems), problems
    assert elapsed < 1 and peak < 20_000_000, (elapsed, peak)


def test_toc_alias_bomb_is_refused(tmp_path):
    root = make_tree(tmp_path / "book")
    bomb = "".join(
        f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9) if i else 'a'}]\n" for i in range(12)
    )
    toc = root / "_toc.yml"
    toc.write_text(bomb + toc.read_text(encoding="utf-8"), encoding="utf-8")
    start = time.perf_counter()
    result = run_cli(root, "check")
    assert time.perf_counter() - start < 2
    assert result.exit_code == 1
    assert "_toc.yml:1: malformed YAML: YAML anchor &x0 is not allowed" in result.output
