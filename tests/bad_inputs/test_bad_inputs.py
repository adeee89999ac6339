"""Every bad input in cases.yaml fails `talkbook check` (and, where it shows there, the book
build) with its message, a path and a line, and leaves the source tree byte-for-byte as it was.

The builds run on a tiny copy of the book (a home page, one note, the bad page), two at a
time, once per session; the whole suite takes about a minute on 2 cores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from bad_input_harness import (
    FILES,
    Result,
    apply_case,
    load_cases,
    make_tree,
    missing_messages,
    run_build,
    run_cli,
    tree_hash,
)

CASES = load_cases()
BUILD_CASES = [c for c in CASES if c.get("build")]
GOOD = {"id": "good", "build": []}
PROBLEM_LINE = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): \S")


def ids(cases):
    return [c["id"] for c in cases]


def test_cases_are_well_formed():
    assert len(CASES) >= 15
    assert len(set(ids(CASES))) == len(CASES), "case ids must be unique"
    for case in CASES:
        assert case.get("what"), f"{case['id']}: say what the case is"
        assert "check" in case, f"{case['id']}: say what `talkbook check` prints (null: nothing)"
        assert case["check"] or case.get("build"), f"{case['id']}: expects no message anywhere"
        for source in (case.get("files") or {}).values():
            assert (FILES / source).is_file(), f"{case['id']}: {source} missing from {FILES}"


def test_good_tree_passes_check(tmp_path):
    root = make_tree(tmp_path / "book")
    result = run_cli(root, "check")
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_check(case, tmp_path):
    root = make_tree(tmp_path / "book")
    apply_case(root, case)
    before = tree_hash(root)
    result = run_cli(root, "check")
    assert tree_hash(root) == before, "talkbook check changed the source tree"
    if case["check"] is None:
        assert result.exit_code == 0, (
            f"the check cannot see this case and must pass:\n{result.output}"
        )
        return
    assert result.exit_code == 1, result.output
    assert not missing_messages(case["check"], result.output), result.output
    problems = [
        line
        for line in result.output.splitlines()
        if not line.startswith(("talkbook check:", "note:"))
    ]
    assert problems, result.output
    for line in problems:  # one problem per line, each with a path and a line number > 0
        m = PROBLEM_LINE.match(line)
        assert m and int(m["line"]) > 0, f"no path:line in {line!r}"
    assert re.search(r"^talkbook check: \d+ problems? in \d+ files? ", result.output, re.M)


@pytest.fixture(scope="session", autouse=True)
def builds(request, tmp_path_factory) -> Iterator[dict[str, Future]]:
    """Start building the good tree and every build case at once, two at a time, in the
    background (the check tests run meanwhile): id -> future of (result, tree unchanged).
    Nothing is built when no build test was selected."""
    if not any(
        item.name.startswith(("test_build", "test_good_tree_builds"))
        for item in request.session.items
    ):
        yield {}
        return
    base = tmp_path_factory.mktemp("builds")

    def one(case) -> tuple[Result, bool]:
        root = make_tree(base / case["id"] / "src")
        apply_case(root, case)
        before = tree_hash(root)
        result = run_build(root, base / case["id"] / "out")
        return result, tree_hash(root) == before

    # notebooks first: they take longest (kernel start, timeout)
    order = sorted([GOOD, *BUILD_CASES], key=lambda c: "notebook" not in c["id"])
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {case["id"]: pool.submit(one, case) for case in order}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def test_good_tree_builds(builds):
    result, unchanged = builds["good"].result()
    assert result.exit_code == 0, result.output[-4000:]
    assert unchanged, "the build changed the source tree"


@pytest.mark.parametrize("case", BUILD_CASES, ids=ids(BUILD_CASES))
def test_build(case, builds):
    result, unchanged = builds[case["id"]].result()
    assert unchanged, "the build changed the source tree"
    assert result.exit_code != 0, result.output[-4000:]
    missing = missing_messages(case["build"], result.output)
    assert not missing, f"missing {missing} in:\n{result.output[-6000:]}"


def test_suite_left_real_tree_alone():
    """The cases only ever touch copies (a cheap guard: no stray files in the real book)."""
    real = Path(__file__).resolve().parents[2]
    assert not list((real / "book").rglob("bad.md"))
    assert not (real / "book" / "notes" / "orphan.md").exists()
