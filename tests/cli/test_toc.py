"""Adding a page to _toc.yml by editing text: every other byte stays as it was."""

from __future__ import annotations

import pytest
import yaml

from talkbook import toc

CONF = {"book/notes/a-1": "a", "book/notes/a-2": "a", "book/notes/c-1": "c"}


def add(text: str, value: str, group: str | None, fallback=lambda e: False) -> str:
    return toc.add_page(
        text,
        value,
        group_of=lambda e: CONF.get(e.value),
        group=group,
        group_order=lambda g: (g,),
        group_names=lambda g: [f"Conf {g.upper()}"],
        new_caption=f"Conf {group.upper()}" if group else "Essays",
        fallback=fallback,
    )


PARTS = """\
# comment at the top
format: jb-book
root: book/intro
parts:
  - caption: Conf A   # trailing comment
    chapters:
      - file: book/notes/a-1
      - file: book/notes/a-2
        sections:
          - file: book/notes/a-2-detail

  # comment above a part
  - caption: Conf C
    chapters:
      - file: book/notes/c-1
"""


def test_after_last_page_of_group_and_its_sections():
    new = add(PARTS, "book/notes/a-3", "a")
    assert new == PARTS.replace(
        "          - file: book/notes/a-2-detail\n",
        "          - file: book/notes/a-2-detail\n      - file: book/notes/a-3\n",
    )


def test_new_group_gets_a_part_in_order_above_comments():
    new = add(PARTS, "book/notes/b-1", "b")
    assert new == PARTS.replace(
        "\n  # comment above a part\n",
        "\n  - caption: Conf B\n    chapters:\n      - file: book/notes/b-1\n  # comment "
        "above a part\n",
    )
    assert [p["caption"] for p in yaml.safe_load(new)["parts"]] == ["Conf A", "Conf B", "Conf C"]


def test_new_group_last():
    new = add(PARTS, "book/notes/d-1", "d")
    assert new == PARTS + "  - caption: Conf D\n    chapters:\n      - file: book/notes/d-1\n"


def test_part_named_after_group_without_pages_yet():
    text = PARTS + "  - caption: Conf E\n    chapters:\n      - file: book/notes/e-overview\n"
    new = add(text, "book/notes/e-1", "e")
    assert new == text + "      - file: book/notes/e-1\n"


def test_crlf_and_no_final_newline():
    text = PARTS.replace("\n", "\r\n").rstrip("\r\n")
    new = add(text, "book/notes/c-2", "c")
    assert new == text + "\r\n      - file: book/notes/c-2\r\n"


def test_single_list_of_chapters_is_kept_in_group_order():
    text = (
        "format: jb-book\nroot: intro\nchapters:\n- file: book/notes/a-1\n- file: book/notes/c-1\n"
    )
    new = add(text, "book/notes/b-1", "b")
    assert new == text.replace(
        "- file: book/notes/c-1\n", "- file: book/notes/b-1\n- file: book/notes/c-1\n"
    )


def test_ungrouped_page_after_fallback_entry():
    new = add(PARTS, "book/notes/essay-2", None, fallback=lambda e: e.value == "book/notes/a-1")
    assert new == PARTS.replace(
        "      - file: book/notes/a-1\n",
        "      - file: book/notes/a-1\n      - file: book/notes/essay-2\n",
    )


def test_refuses_duplicates_and_flow_lists():
    with pytest.raises(toc.TocError, match="already lists"):
        add(PARTS, "book/notes/a-1", "a")
    flow = (
        "format: jb-book\nroot: intro\nparts:\n"
        "  - caption: Conf A\n    chapters: [{file: book/notes/a-1}]\n"
    )
    with pytest.raises(toc.TocError):
        add(flow, "book/notes/a-3", "a")


def test_parse_reports_malformed_yaml_with_line():
    _, problems = toc.parse("format: jb-book\nroot: [intro\n", "_toc.yml")
    assert problems and str(problems[0]).startswith("_toc.yml:")
