"""The per-document API the build calls (``talkbook.check.note_problems``) against the CLI:
same messages for the same page, and the rules the build enforces itself left out."""

from __future__ import annotations

from talkbook.catalog import load_catalog
from talkbook.check import BUILD_ENFORCED, RuleContext, build_source, note_problems
from talkbook.check.myst import md_config
from talkbook.check.rules import PAGE_RULES
from talkbook.frontmatter import load_field_specs

PAGE = """---
talkbook:
  kind: page
  language: ko
  description: "TODO: 요약"
---

## 제목

{talk}`deview-2019-nope` <script>x</script>

![](missing.png)
"""


def context(root) -> RuleContext:
    return RuleContext(
        root=root,
        md_config=md_config(root),
        catalog=load_catalog(root / "data"),
        specs=load_field_specs(root / "data"),
        notes_dir="book/notes",
    )


def test_note_problems_match_the_cli(tree, run):
    path = "book/notes/api.md"
    (tree / path).write_text(PAGE, encoding="utf-8")
    toc = tree / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8") + "      - file: book/notes/api\n", "utf-8")
    everything = [str(p) for p in note_problems(path, PAGE, context(tree), skip=())]
    printed = [line for line in run("check").output.splitlines() if line.startswith(path)]
    assert sorted(everything) == sorted(printed)
    assert any("placeholder text left in place" in p for p in everything)
    assert any("document headings start at H2, not H1" in p for p in everything)
    assert any(p.startswith(f"{path}:10: unknown talk id 'deview-2019-nope'") for p in everything)
    assert any(p.startswith(f"{path}:10: raw HTML <script>") for p in everything)
    assert any(p.startswith(f"{path}:12: image 'missing.png' has no alt text") for p in everything)


def test_build_skips_what_sphinx_and_myst_report(tree):
    for_build = [str(p) for p in note_problems("book/notes/api.md", PAGE, context(tree))]
    assert not any("headings start at" in p for p in for_build)  # myst.header says it
    assert any("placeholder text" in p for p in for_build)
    skipped = {r.check.__name__ for r in PAGE_RULES if r.enforced_by in BUILD_ENFORCED}
    assert skipped == {
        "rule_title",
        "rule_heading_levels",
        "rule_includes",
        "rule_downloads",
        "rule_html",  # talkbook.safety warns in the build, with the same words
    }


def test_alias_and_datetime_front_matter(tree):
    ctx = context(tree)
    alias = "---\na: &x [1]\nb: *x\n---\n\n# t\n"
    assert [p.message for p in note_problems("x.md", alias, ctx)] == [
        "front matter: YAML anchor &x is not allowed"
    ]
    stamp = "---\ntalkbook: {kind: page, language: ko, description: d, date: 2019-10-29 10:00:00}\n---\n\n# t\n"
    assert "a date with a time is not allowed" in str(note_problems("x.md", stamp, ctx))


def test_build_source_blanks_what_would_stall_the_parser(tree):
    ctx = context(tree)
    alias = "---\na: &x [1]\nb: *x\n---\n\n# t\n"
    problems, text = build_source("x.md", alias, ctx)
    assert problems and text == "\n\n\n\n\n# t\n"
    flood = (
        "---\ntalkbook: {kind: page, language: ko, description: x.}\n---\n\n# t\n\n" + "[](" * 9000
    )
    problems, text = build_source("x.md", flood, ctx)
    assert any("too large to parse safely" in p.message for p in problems)
    assert text.split("\n")[:3] == flood.split("\n")[:3] and "[" not in text
    assert text.count("\n") == flood.count("\n")
    good = (tree / "book/notes/sample.md").read_text(encoding="utf-8")
    assert build_source("book/notes/sample.md", good, ctx) == ([], good)
