"""Incremental and parallel builds keep backlinks, cards and titles right."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from helpers import BIN, jb_build, mini_book, output_of, read_rows, write_rows

pytestmark = pytest.mark.slow


def note(title: str, talks: list[str], body: str) -> str:
    return f"""---
talkbook:
  kind: memo
  conference: deview-2019
  day: 1
  language: ko
  talks: [{", ".join(talks)}]
  description: 시험용 노트
---
# {title}

{body}
"""


CARD = "## {heading}\n\n```{{talk-card}} {talk}\n```\n\n본문입니다.\n"
PAGES = {
    "book/intro": "---\ntalkbook: {kind: home, language: ko, description: 시험}\n---\n# 홈\n\n시험용 책.\n",
    "book/catalog": "---\ntalkbook: {kind: page, language: ko, description: 카탈로그}\n---\n# 카탈로그\n\n```{talk-catalog}\n```\n",
    "book/notes/a": note(
        "노트 가",
        ["deview-2019-ai-suite"],
        CARD.format(heading="AI 플랫폼", talk="deview-2019-ai-suite"),
    ),
    # an essay may cover no talk yet
    "book/notes/b": note("노트 나", [], "아직 아무 발표도 다루지 않습니다.\n").replace(
        "kind: memo", "kind: essay"
    ),
}


def covered_in(html: Path, talk_id: str) -> list[str]:
    page = BeautifulSoup(
        (html / "talks" / f"{talk_id}.html").read_text(encoding="utf-8"), "html.parser"
    )
    return [a["href"] for a in page.find(id="covered-in").select("ul.talkbook-covers a")]


def mentioned_in(html: Path, talk_id: str) -> list[str]:
    page = BeautifulSoup(
        (html / "talks" / f"{talk_id}.html").read_text(encoding="utf-8"), "html.parser"
    )
    section = page.find(id="mentioned-in")
    return [a["href"] for a in section.select("a")] if section else []


def build(src: Path, out: Path) -> Path:
    result = jb_build(src, out)
    assert result.returncode == 0, output_of(result)[-4000:]
    return out / "_build" / "html"


def test_backlinks_and_titles_follow_edits(tmp_path: Path) -> None:
    src = mini_book(tmp_path / "src", PAGES)
    out = tmp_path / "out"
    html = build(src, out)
    assert [h.split("#")[0] for h in covered_in(html, "deview-2019-ai-suite")] == [
        "../book/notes/a.html"
    ]
    assert mentioned_in(html, "deview-2019-chatbot-10k-models") == []
    card_a = (html / "book/notes/a.html").read_text(encoding="utf-8")
    assert "notes/b.html" not in card_a

    # note b now covers AI Suite and mentions the chatbot talk
    body = CARD.format(heading="같은 발표, 다른 시각", talk="deview-2019-ai-suite")
    body += "\n관련: {talk}`deview-2019-chatbot-10k-models`\n"
    (src / "book/notes/b.md").write_text(
        note("노트 나", ["deview-2019-ai-suite"], body), encoding="utf-8"
    )
    html = build(src, out)
    assert mentioned_in(html, "deview-2019-chatbot-10k-models") == ["../book/notes/b.html"]
    assert sorted(h.split("#")[0] for h in covered_in(html, "deview-2019-ai-suite")) == [
        "../book/notes/a.html",
        "../book/notes/b.html",
    ]
    # page a was not edited, but its card now links page b ("also covered in")
    assert "b.html#" in (html / "book/notes/a.html").read_text(encoding="utf-8")

    # a title edited in talks.csv shows everywhere on the next incremental build
    talks = src / "data" / "talks.csv"
    rows = read_rows(talks)
    for row in rows:
        if row["id"] == "deview-2019-ai-suite":
            row["title"] = "새 제목: AI Suite 이야기"
    write_rows(talks, rows)
    html = build(src, out)
    for page in (
        "book/notes/a.html",
        "book/notes/b.html",
        "book/catalog.html",
        "talks/deview-2019-ai-suite.html",
    ):
        assert "새 제목: AI Suite 이야기" in (html / page).read_text(encoding="utf-8"), page


def sphinx_build(src: Path, out: Path, jobs: str) -> Path:
    result = subprocess.run(
        [
            str(BIN / "sphinx-build"),
            "-W",
            "-n",
            "--keep-going",
            "-j",
            jobs,
            "-b",
            "html",
            str(src),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, output_of(result)[-4000:]
    return out


def test_parallel_build_gives_the_same_pages(tmp_path: Path) -> None:
    pages = dict(PAGES)
    pages["book/notes/b"] = note(
        "노트 나",
        ["deview-2019-ai-suite"],
        CARD.format(heading="둘째 노트", talk="deview-2019-ai-suite"),
    )
    for i in range(6):  # enough documents for Sphinx to split reading across processes
        pages[f"book/extra{i}"] = (
            f"# 추가 {i}\n\n{{talk}}`deview-2019-k8s-multi-tenancy` 언급 {i}.\n"
        )
    src = mini_book(tmp_path / "src", pages)
    subprocess.run(
        [str(BIN / "jupyter-book"), "config", "sphinx", str(src)], check=True, capture_output=True
    )
    serial = sphinx_build(src, tmp_path / "serial", "1")
    shutil.rmtree(src / "_build", ignore_errors=True)
    parallel = sphinx_build(src, tmp_path / "parallel", "2")

    def names(d: Path) -> list[str]:
        return sorted(str(p.relative_to(d)) for p in d.rglob("*.html"))

    assert names(serial) == names(parallel)
    for talk in ("deview-2019-ai-suite", "deview-2019-k8s-multi-tenancy"):
        assert covered_in(serial, talk) == covered_in(parallel, talk)
        assert mentioned_in(serial, talk) == mentioned_in(parallel, talk)
    assert len(mentioned_in(parallel, "deview-2019-k8s-multi-tenancy")) == 6

    def card(build: Path, page: str) -> str:
        html = BeautifulSoup((build / page).read_text(encoding="utf-8"), "html.parser")
        return str(html.find(class_="talkbook-card-also"))

    for page in ("book/notes/a.html", "book/notes/b.html"):
        assert card(serial, page) == card(parallel, page)

    # the catalog rows each page shows were merged from the reading processes: a title edit
    # in talks.csv writes again the six pages that mention the talk (and the catalog) without
    # reading them; only the talk's own page, whose title it is, is read again
    talks = src / "data" / "talks.csv"
    rows = read_rows(talks)
    for row in rows:
        if row["id"] == "deview-2019-k8s-multi-tenancy":
            row["title"] = "병렬로 읽은 뒤 바꾼 제목"
    write_rows(talks, rows)
    doctrees = parallel / ".doctrees"
    before = {p: p.stat().st_mtime_ns for p in doctrees.rglob("*.doctree")}
    written = {p: p.stat().st_mtime_ns for p in parallel.rglob("*.html")}
    sphinx_build(src, parallel, "2")
    reread = sorted(
        str(p.relative_to(doctrees)) for p in before if p.stat().st_mtime_ns != before[p]
    )
    assert reread == ["talks/deview-2019-k8s-multi-tenancy.doctree"], reread
    rewritten = {
        str(p.relative_to(parallel)) for p in written if p.stat().st_mtime_ns != written[p]
    }
    assert {"book/catalog.html", "conferences/deview-2019.html"} <= rewritten, rewritten
    assert {f"book/extra{i}.html" for i in range(6)} <= rewritten, rewritten
    # notes showing another talk are not written (the talk's conference siblings are: their
    # navigation shows its title)
    assert not {"book/notes/a.html", "book/notes/b.html"} & rewritten, sorted(rewritten)
    for page in [f"book/extra{i}.html" for i in range(6)] + [
        "talks/deview-2019-k8s-multi-tenancy.html",
        "conferences/deview-2019.html",
        "book/catalog.html",
    ]:
        assert "병렬로 읽은 뒤 바꾼 제목" in (parallel / page).read_text(encoding="utf-8"), page
