"""The `talkbook` command: new, add-talk/add-conference, fmt, check, stats.

Every test works in a copy of the small test book (or of the real book) under tmp_path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from pathlib import Path

import yaml

from talkbook.frontmatter import read_page


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def csv_ids(path: Path) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))]


def added_lines(before: str, after: str) -> list[str]:
    """Lines of ``after`` not in ``before``, asserting everything else is unchanged and in place."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    i = 0
    while i < len(old) and old[i] == new[i]:
        i += 1
    extra = len(new) - len(old)
    assert extra > 0 and new[i + extra :] == old[i:], "other lines changed"
    return new[i : i + extra]


# --------------------------------------------------------------------------- new


def check_after_description(tree, run, page: str) -> None:
    """A new page fails `check` only for its TODO description; written, it passes."""
    first = run("check")
    assert first.exit_code != 0 and "placeholder" in first.output, first.output
    assert first.output.count("placeholder") == 1, first.output
    path = tree / page
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"description: .*", 'description: "한 문장 요약."', text, count=1)
    path.write_text(text, encoding="utf-8")
    check = run("check")
    assert check.exit_code == 0, check.output


NEW_ARGS = [
    "new",
    "--kind",
    "memo",
    "--conference",
    "deview-2019",
    "--day",
    "2",
    "--talk",
    "deview-2019-fe-frameworks",
    "--talk",
    "deview-2019-android-multi-webview",
    "--slug",
    "deview-2019-day2-test",
]


def test_new_writes_page_and_toc_entry(tree, run):
    toc_before = (tree / "_toc.yml").read_text(encoding="utf-8")
    result = run(*NEW_ARGS)
    assert result.exit_code == 0, result.output
    page = tree / "book/notes/deview-2019-day2-test.md"
    assert "created book/notes/deview-2019-day2-test.md" in result.output
    fm, problems = read_page(page)
    assert not problems
    meta = fm.talkbook
    assert meta["kind"] == "memo" and meta["conference"] == "deview-2019" and meta["day"] == 2
    assert meta["language"] == "ko"
    assert meta["talks"] == ["deview-2019-fe-frameworks", "deview-2019-android-multi-webview"]
    assert "frontend" in meta["tags"] and "webview" in meta["tags"]  # union of the talks' tags
    assert len(meta["tags"]) == len(set(meta["tags"]))
    assert meta["description"]
    text = page.read_text(encoding="utf-8")
    assert text.count("```{talk-card} deview-2019-fe-frameworks\n```") == 1
    assert text.count("```{talk-card} deview-2019-android-multi-webview\n```") == 1
    assert re.search(r"(?m)^## .+\n\n```\{talk-card\} deview-2019-fe-frameworks", text)
    # one line added, in the DEVIEW 2019 part after its last note; comments and the rest kept
    toc_after = (tree / "_toc.yml").read_text(encoding="utf-8")
    assert added_lines(toc_before, toc_after) == [
        "      - file: book/notes/deview-2019-day2-test\n"
    ]
    assert toc_after.startswith("# A small, valid book")
    parts = yaml.safe_load(toc_after)["parts"]
    assert parts[0]["chapters"][-1] == {"file": "book/notes/deview-2019-day2-test"}
    # the new page passes the checks once its description is written
    check_after_description(tree, run, "book/notes/deview-2019-day2-test.md")


def test_new_infers_conference_day_title_and_slug(tree, run):
    result = run("new", "--kind", "review", "--talk", "deview-2019-armeria")
    assert result.exit_code == 0, result.output
    page = tree / "book/notes/deview-2019-day2-review.md"
    meta = read_page(page)[0].talkbook
    assert (meta["conference"], meta["day"], meta["kind"]) == ("deview-2019", 2, "review")
    assert "# NAVER DEVIEW 2019 2일차 후기" in page.read_text(encoding="utf-8")


def test_new_refuses_to_overwrite(tree, run):
    assert run(*NEW_ARGS).exit_code == 0
    page = tree / "book/notes/deview-2019-day2-test.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n내가 쓴 문장.\n", encoding="utf-8")
    before_page, before_toc = digest(page), digest(tree / "_toc.yml")
    result = run(*NEW_ARGS)
    assert result.exit_code != 0
    assert "already exists" in result.output and "never overwrites" in result.output
    assert digest(page) == before_page and digest(tree / "_toc.yml") == before_toc


def test_new_refuses_unknown_talk_with_suggestion(tree, run):
    before = {p: digest(p) for p in tree.rglob("*") if p.is_file()}
    result = run("new", "--kind", "memo", "--talk", "deview-2019-armria", "--slug", "x-note")
    assert result.exit_code != 0
    assert "unknown talk id 'deview-2019-armria'" in result.output
    assert "did you mean deview-2019-armeria" in result.output
    assert {p: digest(p) for p in tree.rglob("*") if p.is_file()} == before


def test_new_refuses_talk_of_another_conference(tree, run):
    result = run(
        "new",
        "--kind",
        "memo",
        "--conference",
        "deview-2023",
        "--talk",
        "deview-2019-armeria",
        "--slug",
        "x",
    )
    assert result.exit_code != 0
    assert "is from deview-2019, not deview-2023" in result.output
    assert not (tree / "book/notes/x.md").exists()


def test_new_needs_kind_when_not_interactive(tree, run):
    result = run("new", "--talk", "deview-2019-armeria")
    assert result.exit_code == 2
    assert "missing --kind" in result.output


def test_new_essay_goes_to_new_part(tree, run):
    toc_before = (tree / "_toc.yml").read_text(encoding="utf-8")
    result = run("new", "--kind", "essay", "--title", "발표를 듣고 든 생각", "--slug", "my-essay")
    assert result.exit_code == 0, result.output
    assert added_lines(toc_before, (tree / "_toc.yml").read_text(encoding="utf-8")) == [
        "  - caption: 에세이\n",
        "    chapters:\n",
        "      - file: book/notes/my-essay\n",
    ]
    meta = read_page(tree / "book/notes/my-essay.md")[0].talkbook
    assert meta["kind"] == "essay" and "conference" not in meta and meta["talks"] == []
    check_after_description(tree, run, "book/notes/my-essay.md")


def test_new_for_a_new_conference_adds_a_part_in_year_order(tree, run):
    assert (
        run(
            "add-conference",
            "--id",
            "deview-2018",
            "--name",
            "NAVER DEVIEW 2018",
            "--series",
            "DEVIEW",
            "--year",
            "2018",
        ).exit_code
        == 0
    )
    assert (
        run(
            "add-talk",
            "--id",
            "deview-2018-test-talk",
            "--conference",
            "deview-2018",
            "--day",
            "1",
            "--title",
            "시험 발표",
            "--title-en",
            "Test talk",
            "--tag",
            "python",
            "--summary",
            "시험용 발표다.",
        ).exit_code
        == 0
    )
    toc_before = (tree / "_toc.yml").read_text(encoding="utf-8")
    result = run("new", "--kind", "memo", "--talk", "deview-2018-test-talk")
    assert result.exit_code == 0, result.output
    lines = added_lines(toc_before, (tree / "_toc.yml").read_text(encoding="utf-8"))
    assert lines == [
        "  - caption: NAVER DEVIEW 2018\n",
        "    chapters:\n",
        "      - file: book/notes/deview-2018-day1-memo\n",
    ]
    captions = [
        p["caption"]
        for p in yaml.safe_load((tree / "_toc.yml").read_text(encoding="utf-8"))["parts"]
    ]
    assert captions == ["NAVER DEVIEW 2018", "NAVER DEVIEW 2019"]  # 2018 before 2019
    check_after_description(tree, run, "book/notes/deview-2018-day1-memo.md")


def test_new_interactive_prompts(tree, run):
    answers = (
        "memo\ndeview-2019\n2\n1,3\n\n\n"  # kind, conference, day, talks by number, title, slug
    )
    result = run("new", "--interactive", input=answers)
    assert result.exit_code == 0, result.output
    meta = read_page(tree / "book/notes/deview-2019-day2-memo.md")[0].talkbook
    assert len(meta["talks"]) == 2


# ------------------------------------------------------------------- add-talk, add-conference


TALK = [
    "add-talk",
    "--id",
    "deview-2019-new-session",
    "--conference",
    "deview-2019",
    "--day",
    "1",
    "--order",
    "3",
    "--title",
    "새 세션",
    "--title-en",
    "A new session",
    "--tag",
    "python",
    "--tag",
    "performance",
    "--summary",
    "시험용으로 추가한 세션이다.",
]


def test_add_talk_keeps_canonical_order(tree, run):
    path = tree / "data/talks.csv"
    before = path.read_text(encoding="utf-8")
    result = run(*TALK)
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    new_line = added_lines(before, after)
    assert len(new_line) == 1 and new_line[0].startswith(
        "deview-2019-new-session,deview-2019,1,3,session,새 세션,"
    )
    assert ",python;performance," in new_line[0]
    rows = list(csv.DictReader(io.StringIO(after)))
    at = [r["id"] for r in rows].index("deview-2019-new-session")

    def key(row):
        return (row["day"].zfill(3), row["order"].zfill(3), row["id"])

    assert rows[at - 1]["conference"] == "deview-2019" and key(rows[at - 1]) < key(rows[at])
    assert rows[at + 1]["conference"] != "deview-2019" or key(rows[at]) < key(rows[at + 1])
    assert re.search(r"added 'deview-2019-new-session' to data/talks.csv:\d+", result.output)
    assert run("fmt", "--check").exit_code == 0  # still canonical
    assert run("check").exit_code == 0


def test_add_talk_default_order_is_after_the_days_last_talk(tree, run):
    args = [a for a in TALK if a not in ("--order", "3")]
    assert run(*args).exit_code == 0
    rows = list(csv.DictReader(io.StringIO((tree / "data/talks.csv").read_text(encoding="utf-8"))))
    day1 = [r for r in rows if r["conference"] == "deview-2019" and r["day"] == "1"]
    assert day1[-1]["id"] == "deview-2019-new-session"
    assert int(day1[-1]["order"]) == max(int(r["order"]) for r in day1)


def test_add_talk_refuses_invalid_row_and_leaves_file(tree, run):
    path = tree / "data/talks.csv"
    before = digest(path)
    bad = [*TALK[:-1], "시험"]
    bad[bad.index("python")] = "pythn"
    bad[bad.index("--conference") + 1] = "deview-2019"
    result = run(*bad, "--slides-url", "not a url")
    assert result.exit_code != 0
    assert "data/talks.csv: tags: unknown tags id 'pythn' (did you mean 'python'?" in result.output
    assert "data/talks.csv: slides_url: 'not a url' is not an http(s) URL" in result.output
    assert "was not changed" in result.output
    assert digest(path) == before


def test_add_talk_refuses_duplicate_id(tree, run):
    path = tree / "data/talks.csv"
    before = digest(path)
    args = list(TALK)
    args[args.index("--id") + 1] = "deview-2019-armeria"
    result = run(*args)
    assert result.exit_code != 0
    assert "id: duplicate id 'deview-2019-armeria'" in result.output
    assert digest(path) == before


def test_add_conference(tree, run):
    path = tree / "data/conferences.csv"
    result = run(
        "add-conference",
        "--id",
        "deview-2020",
        "--name",
        "NAVER DEVIEW 2020",
        "--series",
        "DEVIEW",
        "--year",
        "2020",
    )
    assert result.exit_code == 0, result.output
    ids = csv_ids(path)
    assert ids.index("deview-2020") > ids.index("deview-2019")
    assert ids.index("deview-2020") < ids.index("deview-2023")
    bad = run("add-conference", "--id", "Bad Id", "--name", "x", "--series", "x", "--year", "20x")
    assert bad.exit_code != 0
    assert (
        "id: 'Bad Id' is not a valid id" in bad.output
        and "year: '20x' is not a whole number" in bad.output
    )


# --------------------------------------------------------------------------- fmt


def test_fmt_sorts_and_check_mode(tree, run):
    path = tree / "data/talks.csv"
    canonical = path.read_bytes()
    header, *rows = canonical.decode("utf-8").splitlines(keepends=True)
    path.write_text(header + "".join(reversed(rows)), encoding="utf-8")
    shuffled = path.read_bytes()
    assert run("check").exit_code == 1
    result = run("fmt", "--check")
    assert result.exit_code == 1
    assert "would reformat data/talks.csv" in result.output
    assert path.read_bytes() == shuffled  # --check changes nothing
    result = run("fmt")
    assert result.exit_code == 0 and "reformatted data/talks.csv" in result.output
    assert path.read_bytes() == canonical
    assert run("fmt", "--check").exit_code == 0
    assert run("check").exit_code == 0


def test_fmt_normalises_quoting_and_line_endings(tree, run):
    path = tree / "data/tags.csv"
    canonical = path.read_bytes()
    path.write_bytes(canonical.replace(b"\n", b"\r\n").replace(b"android,", b'"android",', 1))
    assert run("fmt", "--check").exit_code == 1
    assert run("fmt").exit_code == 0
    assert path.read_bytes() == canonical


def test_fmt_leaves_real_catalog_unchanged(real_tree, run):
    before = {p.name: digest(p) for p in (real_tree / "data").glob("*.csv")}
    result = run("fmt", "--check")
    assert result.exit_code == 0, result.output
    assert {p.name: digest(p) for p in (real_tree / "data").glob("*.csv")} == before


# --------------------------------------------------------------------------- check


def test_check_good_tree_passes(tree, run):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert re.match(
        r"talkbook check: no problems \(\d+ pages, \d+ talks checked in [\d.]+ s\)", result.output
    )


def test_check_reports_every_problem_at_once(tree, run):
    page = tree / "book/notes/sample.md"
    text = page.read_text(encoding="utf-8")
    text = text.replace("{ref}`sample-armeria`", "{talk}`deview-2019-nope` <script>x</script>")
    text = text.replace("![한 점짜리 그림](../images/pixel.png)", "![](../images/gone.png)")
    page.write_text(text, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "book/notes/sample.md:22: image '../images/gone.png' has no alt text" in result.output
    assert "book/notes/sample.md:22: image not found: '../images/gone.png'" in result.output
    assert "book/notes/sample.md:24: unknown talk id 'deview-2019-nope'" in result.output
    assert "book/notes/sample.md:24: raw HTML <script> is not allowed" in result.output
    assert lines[-1].startswith("talkbook check: 4 problems in 1 file")


def test_check_paths_limit_the_report(tree, run):
    (tree / "book/notes/orphan.md").write_text(
        "---\ntalkbook: {kind: page, language: ko, description: x}\n---\n\n# x\n", encoding="utf-8"
    )
    assert run("check").exit_code == 1
    assert run("check", "book/notes/sample.md").exit_code == 0
    result = run("check", "book/notes")
    assert (
        result.exit_code == 1 and "book/notes/orphan.md:1: page is not in _toc.yml" in result.output
    )


def test_check_ignores_examples_in_code(tree, run):
    page = tree / "book/notes/sample.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        + (
            "\n````markdown\n```{talk-card} "
            "not-a-talk\n```\n<script>x</script>\n![](missing.png)\n````\n\n"
            "인라인 코드 `` {talk}`not-a-talk` ``와 `<script>`는 예시입니다.\n"
            "\n<!-- {talk}`not-a-talk-either` -->\n"
        ),
        encoding="utf-8",
    )
    result = run("check")
    assert result.exit_code == 0, result.output


def test_check_size_limit_is_configurable(tree, run):
    assert run("check", "--max-page-size", "100").exit_code == 1
    assert "over the 0.0 MB limit" in run("check", "--max-page-size", "100").output
    assert run("check", "--max-page-size", "2MB").exit_code == 0


def test_check_passes_on_the_real_book_quickly(real_tree, run):
    start = time.perf_counter()
    result = run("check")
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    assert elapsed < 5, f"talkbook check took {elapsed:.1f} s on the real book"


# --------------------------------------------------------------------------- stats


def test_stats(tree, run):
    result = run("stats", "--missing")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "NAVER DEVIEW 2019" in out and "coverage" in out
    assert re.search(r"total\s*│\s*\d+\s*│\s*1\s*│", out)  # one talk has a note in the test book
    assert "talks without notes:" in out and "deview-2019-ai-suite" in out
    assert "  deview-2019-armeria\n" not in out


def test_stats_on_real_book(real_tree, run):
    result = run("stats")
    assert result.exit_code == 0, result.output
    assert "NAVER DEVIEW 2023" in result.output
