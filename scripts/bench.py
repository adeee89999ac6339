#!/usr/bin/env python3
"""Build benchmark: talkbook vs stock Jupyter Book on the same synthetic books.

For each size N (default 100, 500, 1000, 2000; ``--quick``: 100, 500; ``--big``: 5000 and
10000, ours alone) the script writes two synthetic books with the same N pages into a scratch folder (default
``/tmp/talkbook-bench``):

* ``ours``: the repository's ``_config.yml`` as it is (every ``sphinx.extra_extensions``
  entry, so ``talkbook.ext``, ``talkbook.search`` and ``talkbook.navcache`` when listed)
  and pages that use the kit: ``{talk}`` roles, ``talk-card`` directives, a
  ``talk-catalog`` page, backlinks (talk pages list the notes that cover them), tags,
  over a synthetic catalog of N/10 talks written to the book's ``data/``;
* ``stock``: the same ``_config.yml`` minus every ``talkbook*`` extension and setting
  (stock Jupyter Book 1 with ``language: ko``), and the same pages where each talk role is a
  plain ``{doc}`` link (to the first note that covers the talk), each talk card a plain
  ``{note}`` box with the same fields, and the catalog page a Markdown table. Stock has no
  generated talk/conference/tag pages (those are a talkbook feature).

Both books have Korean text (~600 words a page), a code block, a table and three
cross-references per page (two ``{doc}``, one ``{ref}``), nested navigation (parts,
chapters, sections) and three small MyST notebooks executed in ``cache`` mode.

Ours is built as ``make build`` builds the book (``scripts/build_parallel.py -j auto``:
Sphinx's parallel reading and writing; ``--jobs 1`` for one process), stock with
``jupyter-book build`` (one process). CPU time counts every process of a build.

Measured for each N and each variant (interleaved, stock first):

* ``full``: clean build (output folder removed), median of ``--full-repeat`` runs;
* ``nochange``: rebuild with nothing changed;
* ``edit_page``: rebuild after editing one note;
* ``edit_csv``: rebuild after editing one row (a title) of ``data/talks.csv``; stock does
  not read ``data/``, so its figure is the no-change cost;
* ``add_page``: rebuild after adding a page to ``_toc.yml`` (its neighbours' navigation and
  the shared navigation file change); ``add_page_written`` counts the book's HTML pages
  written again, ``add_page_expected`` the pages whose navigation shows the change (the new
  page, its siblings, the page before it, the root, and the toctree ancestors of these,
  which Sphinx always writes with a page);
* ``*_written``: HTML files written by each incremental rebuild (by modification time);
* ``page_bytes``: median size of a note's HTML page (it must not grow with the book);
* ``peak_mem_mb``: largest peak RSS of the builds (``os.wait4`` rusage of the build process:
  the largest single process; with ``-j`` the forked workers share most pages with it);
* ``nb_exec_nochange``: notebook executions during the no-change rebuilds (must be 0);
* ``index_raw`` / ``index_gzip``: what a reader downloads for the search index
  (``searchindex.js``, plus ``searchindex-*.js`` shards when present);
* ``site_bytes``: size of the whole HTML output;
* ``query_median_ms`` / ``query_p95_ms``: search query time in headless Chromium
  (Debian's ``/usr/bin/chromium`` via Playwright): the site's own ``Search._parseQuery`` +
  ``Search._performSearch`` for every query of ``tests/search/queries.csv`` (or a fixed
  list of Korean/English words when that file is absent), 3 rounds after a warm-up;
* ``index_load_ms``: from opening ``search.html`` until the index is loaded.

Incremental figures are medians of ``--repeat`` runs. The table shows wall and CPU time side
by side (``wall / CPU``) for stock, ours and the ratio ours/stock; stock is built only up to
N = 2000 (``STOCK_MAX``). When the machine is loaded (median 1-minute load average of the
builds above ``LOADED`` x cores) the time targets are judged on CPU time, which other
processes barely change; every figure is written to ``_build/bench/bench.csv`` (one row per N,
variant and metric) and the load average (``os.getloadavg``) before each build is recorded.

Usage::

    .venv/bin/python scripts/bench.py                 # N = 100, 500, 1000, 2000
    .venv/bin/python scripts/bench.py --quick         # N = 100, 500
    .venv/bin/python scripts/bench.py --sizes 1000 --variants ours --repeat 5
    .venv/bin/python scripts/bench.py --big           # N = 5000, 10000, ours alone
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import csv
import datetime as dt
import functools
import gzip
import http.server
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
JB = str(BIN / "jupyter-book")
#: processes for our builds (``make build``'s JOBS; ``--jobs``)
JOBS = "auto"
QUERIES = ROOT / "tests" / "search" / "queries.csv"
WORDS_FILE = Path(__file__).with_name("bench_words.txt")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VARIANTS = ("stock", "ours")
SIZES = (100, 500, 1000, 2000)
QUICK_SIZES = (100, 500)
BIG_SIZES = (5000, 10000)
STOCK_MAX = 2000  # stock Jupyter Book is quadratic: larger sizes are ours alone
LOADED = 0.75  # load average per core above which time targets are judged on CPU time
PART_SIZE = 50  # notes per part (toc caption)
GROUP = 5  # a chapter and its 4 sections
N_NOTEBOOKS = 3

# --------------------------------------------------------------------------- text

NOUNS = """쿠버네티스 컨테이너 클러스터 네임스페이스 파티션 컨슈머 프로듀서 브로커 토픽 샤딩 데이터베이스
인덱스 쿼리 캐시 메모리 디스크 스토리지 네트워크 지연 처리량 배포 파이프라인 모델 서빙 추론 학습
데이터 검색 추천 번역 음성 영상 로그 모니터링 알림 장애 복구 백업 테스트 코드 리뷰 리팩터링 성능
최적화 프로파일러 병목 스레드 프로세스 비동기 이벤트 메시지 스트림 배치 스케줄러 자원 비용 보안
인증 권한 플랫폼 서비스 마이크로서비스 게이트웨이 프런트엔드 컴포넌트 렌더링 브라우저 웹뷰 안드로이드
모바일 앱 화면 사용자 경험 설계 구조 아키텍처 운영 자동화 도구 라이브러리 프레임워크 오픈소스
커뮤니티 발표 발표자 청중 질문 사례 경험 교훈 실험 결과 지표 목표 계획 일정 팀 조직 문화""".split()
PARTICLES = (
    "은 이 을 의 에 에서 으로 과 도 만 까지 부터 보다 처럼".split()
)  # after a final consonant
VOWEL_FORM = {"은": "는", "이": "가", "을": "를", "으로": "로", "과": "와"}  # after a vowel
VERBS = """줄였다 늘렸다 바꾸었다 설명했다 보여 주었다 강조했다 소개했다 비교했다 측정했다 개선했다
나누었다 합쳤다 옮겼다 자동화했다 검증했다 정리했다 발표했다 적용했다 도입했다 운영한다""".split(
    "\n"
)
VERBS = [v for line in VERBS for v in line.split() if v.endswith("다")]
ADVERBS = "크게 빠르게 조금씩 꾸준히 먼저 다시 함께 직접 결국 특히 실제로 점차".split()
LATIN = """Kubernetes Kafka HBase Redis Python Flutter React BERT GPU latency throughput p99 CI/CD
Spark Flink Airflow gRPC REST MQTT Prometheus Grafana""".split()
FALLBACK_QUERIES = [  # used when tests/search/queries.csv is absent; all occur in the vocabulary
    "모델",
    "데이터",
    "플랫폼",
    "검색",
    "발표",
    "서비스",
    "쿠버네티스",
    "컨슈머",
    "파티션",
    "캐시",
    "웹뷰",
    "추천",
    "번역",
    "성능",
    "데이터를",
    "모델 서빙",
    "검색 품질",
    "카프카 컨슈머",
    "AI",
    "DEVIEW",
    "Kafka",
    "Python",
    "GPU",
    "HBase",
]


def attach(noun: str, particle: str) -> str:
    """Noun + particle in the form Korean uses (받침: 쿠버네티스를, 컨테이너를, 파티션을)."""
    last = noun[-1]
    vowel_final = "\uac00" <= last <= "\ud7a3" and (ord(last) - 0xAC00) % 28 == 0
    return noun + (VOWEL_FORM.get(particle, particle) if vowel_final else particle)


def load_vocabulary(path: Path = WORDS_FILE) -> tuple[list[str], list[int]]:
    """Words of the book's own prose and their cumulative frequencies (Zipf-like, like text)."""
    words, cum, total = [], [], 0
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or " " not in line:
                continue
            word, count = line.rsplit(" ", 1)
            total += int(count)
            words.append(word)
            cum.append(total)
    if len(words) < 500:  # no vocabulary file: a small built-in one
        words = [attach(n, p) for n in NOUNS for p in PARTICLES] + ADVERBS + VERBS + LATIN
        cum = list(range(1, len(words) + 1))
    return words, cum


VOCAB, VOCAB_CUM = load_vocabulary()
HANGUL_WORDS = [w for w in VOCAB[:3000] if "\uac00" <= w[0] <= "\ud7a3" and len(w) >= 2]


def eojeol(rng: random.Random) -> str:
    """One word: drawn from the vocabulary by frequency; 4% are new compounds (쿠버네티스파티션을),
    so that, as in real text, the number of distinct words keeps growing with the book."""
    if rng.random() < 0.04:
        head, tail = rng.choice(HANGUL_WORDS), rng.choice(HANGUL_WORDS)
        return head[: max(2, len(head) - 1)] + tail
    return VOCAB[bisect.bisect(VOCAB_CUM, rng.random() * VOCAB_CUM[-1])]


def sentence(rng: random.Random, words: int = 8) -> str:
    return " ".join(eojeol(rng) for _ in range(words - 1)) + " " + rng.choice(VERBS) + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(6, 10)) for _ in range(sentences))


# --------------------------------------------------------------------------- synthetic book


@dataclass
class Talk:
    id: str
    conference: str
    day: int
    order: int
    title: str
    tags: list[str]


@dataclass
class Book:
    """What the generator made: enough to drive the incremental edits."""

    src: Path
    variant: str
    n: int
    notes: list[str] = field(default_factory=list)  # docnames, toc order
    talks: list[Talk] = field(default_factory=list)
    toc: dict = field(default_factory=dict)


def read_tags() -> list[dict[str, str]]:
    with (ROOT / "data" / "tags.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def catalog(n: int, tags: list[str]) -> tuple[list[dict[str, str]], list[Talk]]:
    rng = random.Random(n)
    n_conf = max(2, n // 100)
    confs = [
        {
            "id": f"bench-{2000 + i}",
            "name": f"벤치 컨퍼런스 {2000 + i}",
            "series": "벤치",
            "year": str(2000 + i),
            "dates": "",
            "location": "",
            "url": "",
            "description": f"벤치마크용 가상 행사 {2000 + i}",
        }
        for i in range(n_conf)
    ]
    talks = []
    for j in range(max(1, n // 10)):
        conf = confs[j % n_conf]["id"]
        title = f"{rng.choice(NOUNS)} {rng.choice(NOUNS)} 이야기 {j}"
        talks.append(
            Talk(
                f"{conf}-t{j:04d}",
                conf,
                1 + (j // n_conf) % 2,
                j,
                title,
                sorted(rng.sample([t for t in tags if t != "keynote"], 2)),
            )
        )
    conf_pos = {c["id"]: i for i, c in enumerate(confs)}
    talks.sort(key=lambda t: (conf_pos[t.conference], t.day, t.order, t.id))
    return confs, talks


def write_catalog(data: Path, confs: list[dict[str, str]], talks: list[Talk]) -> None:
    data.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "schema.yaml", data / "schema.yaml")
    shutil.copy(ROOT / "data" / "tags.csv", data / "tags.csv")
    with (data / "conferences.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(confs[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(confs)
    write_talks(data / "talks.csv", talks)


TALK_FIELDS = [
    "id",
    "conference",
    "day",
    "order",
    "kind",
    "title",
    "title_status",
    "title_en",
    "speakers",
    "organization",
    "slides_url",
    "video_url",
    "links",
    "tags",
    "summary",
]


def write_talks(path: Path, talks: list[Talk]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(TALK_FIELDS)
        for t in talks:
            w.writerow(
                [
                    t.id,
                    t.conference,
                    t.day,
                    t.order,
                    "session",
                    t.title,
                    "recorded",
                    f"Talk {t.order}",
                    f"발표자{t.order % 17}",
                    "",
                    "",
                    "",
                    "",
                    ";".join(t.tags),
                    f"{t.title}을 요약한 한 문장이다.",
                ]
            )


def config_for(variant: str, title: str) -> dict:
    """The repository's _config.yml; for stock without any talkbook extension or setting."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    cfg["title"] = title
    sphinx = cfg.setdefault("sphinx", {})
    sconf = sphinx.setdefault("config", {})
    if variant == "stock":
        sphinx["extra_extensions"] = [
            e for e in sphinx.get("extra_extensions") or [] if not e.startswith("talkbook")
        ]
        for key in [k for k in sconf if k.startswith("talkbook")]:
            del sconf[key]
    return cfg


def front_matter(
    kind: str, conference: str | None, tags: list[str], talks: list[str], description: str
) -> str:
    lines = ["---", "talkbook:", f"  kind: {kind}"]
    if conference:
        lines += [f"  conference: {conference}", "  day: 1"]
    lines += [
        "  language: ko",
        f"  tags: [{', '.join(tags)}]",
        f"  talks: [{', '.join(talks)}]",
        f"  description: {description}",
        "---",
        "",
    ]
    return "\n".join(lines)


def note_text(book: Book, i: int, extra: str = "") -> str:
    """Note i: ~600 words, a talk card, two talk mentions, code, table, three cross-refs."""
    rng = random.Random(i * 7919 + book.n)
    notes, talks = book.notes, book.talks
    ours = book.variant == "ours"
    talk = talks[i % len(talks)]
    mention = [talks[(i * 3 + 1) % len(talks)], talks[(i * 5 + 2) % len(talks)]]
    here = notes[i]

    def doc_link(target: str, text: str | None = None) -> str:
        rel = os.path.relpath(target, os.path.dirname(here))
        return f"{{doc}}`{text} <{rel}>`" if text else f"{{doc}}`{rel}`"

    def talk_link(t: Talk) -> str:
        if ours:
            return f"{{talk}}`{t.id}`"
        first = talks.index(t)  # the first note that covers t (note k covers talk k % T)
        return (
            doc_link(notes[first % len(notes)], t.title) if first < len(notes) else f"**{t.title}**"
        )

    if ours:
        card = f"```{{talk-card}} {talk.id}\n```\n"
    else:
        card = (
            f":::{{note}}\n**{talk.title}** · Talk {talk.order}\n\n행사: {talk.conference} · {talk.day}일차 · "
            f"발표자: 발표자{talk.order % 17} · 태그: {', '.join(talk.tags)}\n:::\n"
        )
    j, k = (i + 7) % len(notes), (i * 13 + 3) % len(notes)
    out = [
        front_matter(
            "memo", talk.conference, talk.tags, [talk.id], f"벤치마크 노트 {i}의 요약 문장"
        )
    ]
    out.append(
        f"(bench-note-{i})=\n# 벤치마크 노트 {i}: {attach(rng.choice(NOUNS), '과')} {rng.choice(NOUNS)}\n"
    )
    out.append(paragraph(rng, 6) + f" 관련 발표는 {talk_link(mention[0])}이다.\n")
    out.append(f"## {talk.title} 정리\n\n{card}\n{paragraph(rng, 12)}\n")
    out.append(
        f"(bench-note-{i}-detail)=\n## 세부 내용 {i}\n\n{paragraph(rng, 12)} 앞의 {doc_link(notes[j])}도 "
        f"참고하고, {talk_link(mention[1])} 발표와 비교한다.\n"
    )
    out.append(
        f"```python\ndef step_{i}(items):\n    total = 0\n    for x in items:\n        total += x * {i % 7 + 1}\n"
        f"    return total\n```\n"
    )
    out.append(
        "| 항목 | 이전 | 이후 |\n| --- | --- | --- |\n"
        + "".join(
            f"| {rng.choice(NOUNS)} | {rng.randint(10, 99)} | {rng.randint(1, 9)} |\n"
            for _ in range(4)
        )
    )
    out.append(
        f"## 정리\n\n{paragraph(rng, 10)} 자세한 측정은 {{ref}}`bench-note-{k}-detail` 절과 "
        f"{doc_link(notes[(i + 1) % len(notes)])}에 있다.\n"
    )
    if extra:
        out.append(extra + "\n")
    return "\n".join(out)


def notebook_text(i: int, log: str) -> str:
    return f"""---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
talkbook:
  kind: demo
  language: ko
  tags: [python, performance]
  talks: []
  description: 벤치마크용 작은 노트북 {i}
---

# 벤치마크 노트북 {i}

빌드할 때 실행되는 작은 계산이다. 실행될 때마다 기록 파일에 한 줄을 남긴다.

```{{code-cell}} python3
with open({log!r}, "a") as fh:
    fh.write("{i}\\n")
sum(x * x for x in range({100 * (i + 1)}))
```

```{{code-cell}} python3
print("노트북 {i}", [round(x ** 0.5, 2) for x in range(5)])
```
"""


def catalog_page(book: Book) -> str:
    head = front_matter("page", None, [], [], "벤치마크 카탈로그")
    if book.variant == "ours":
        return head + "# 발표 카탈로그\n\n모든 발표의 표.\n\n```{talk-catalog}\n```\n"
    rows = "".join(
        f"| {t.title} | {t.conference} | {t.day} | {', '.join(t.tags)} |\n" for t in book.talks
    )
    return (
        head
        + "# 발표 카탈로그\n\n모든 발표의 표.\n\n| 발표 | 행사 | 일차 | 태그 |\n| --- | --- | --- | --- |\n"
        + rows
    )


def execution_log(book: Path) -> Path:
    """Where the demo notebooks count their runs: beside the book, not in it (talkbook's
    notebook guard rejects a notebook that writes into the project)."""
    return book.parent / f"{book.name}.executions.log"


def make_book(dest: Path, n: int, variant: str) -> Book:
    """Write the synthetic book of N pages (intro, catalog, notebooks, notes) to dest."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    tag_ids = [t["id"] for t in read_tags()]
    confs, talks = catalog(n, tag_ids)
    write_catalog(dest / "data", confs, talks)
    n_notes = n - 2 - N_NOTEBOOKS
    book = Book(dest, variant, n, talks=talks)
    book.notes = [
        f"book/notes/p{p:02d}/note-{i:04d}" for i in range(n_notes) for p in [i // PART_SIZE]
    ]
    (dest / "_config.yml").write_text(
        yaml.safe_dump(
            config_for(variant, f"talkbook bench {n} ({variant})"),
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    (dest / "book" / "demos").mkdir(parents=True)
    (dest / "book" / "intro.md").write_text(
        front_matter("home", None, [], [], "벤치마크 책")
        + "# 벤치마크 책\n\n"
        + paragraph(random.Random(0), 8)
        + "\n",
        encoding="utf-8",
    )
    (dest / "book" / "catalog.md").write_text(catalog_page(book), encoding="utf-8")
    log = str(execution_log(dest))
    demos = [f"book/demos/nb-{i}" for i in range(N_NOTEBOOKS)]
    for i, d in enumerate(demos):
        (dest / f"{d}.md").write_text(notebook_text(i, log), encoding="utf-8")
    for i, doc in enumerate(book.notes):
        path = dest / f"{doc}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(note_text(book, i), encoding="utf-8")
    parts = [
        {
            "caption": "둘러보기",
            "chapters": [{"file": "book/catalog"}, *({"file": d} for d in demos)],
        }
    ]
    for p in range(0, n_notes, PART_SIZE):
        chapters = []
        block = book.notes[p : p + PART_SIZE]
        for g in range(0, len(block), GROUP):
            chapters.append(
                {
                    "file": block[g],
                    **(
                        {"sections": [{"file": d} for d in block[g + 1 : g + GROUP]]}
                        if block[g + 1 : g + GROUP]
                        else {}
                    ),
                }
            )
        parts.append({"caption": f"파트 {p // PART_SIZE + 1}", "chapters": chapters})
    book.toc = {"format": "jb-book", "root": "book/intro", "parts": parts}
    write_toc(book)
    # the real book lives in git (talkbook.meta shows last-updated dates from it)
    git = [
        "git",
        "-c",
        "user.name=bench",
        "-c",
        "user.email=bench@example.invalid",
        "-C",
        str(dest),
    ]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "synthetic book"], check=True)
    return book


def write_toc(book: Book) -> None:
    (book.src / "_toc.yml").write_text(
        yaml.safe_dump(book.toc, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


# --------------------------------------------------------------------------- building


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system time of the build and its children (kernels), less load-sensitive
    maxrss_mb: float
    returncode: int
    load: float
    executions: int


#: talkbook source tree to build with (--src): its folder goes first on PYTHONPATH
SRC_OVERRIDE: Path | None = None


def build(book: Book, out: Path, log: Path) -> Run:
    """One strict build, as each variant is built: ``make build`` for ours (every core,
    ``scripts/build_parallel.py -j JOBS``), ``jupyter-book build`` (one core, it has no
    option for more) for stock; wall and CPU time (of every process), peak RSS."""
    flags = ["--path-output", str(out), "-W", "-n", "--keep-going"]
    if book.variant == "ours":
        cmd = [sys.executable, str(ROOT / "scripts" / "build_parallel.py"), str(book.src)]
        cmd += ["-j", JOBS, *flags]
    else:
        cmd = [JB, "build", str(book.src), *flags]
    execlog = execution_log(book.src)
    before = len(execlog.read_text().splitlines()) if execlog.exists() else 0
    load = os.getloadavg()[0]
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n===== {' '.join(cmd)}\n")
        fh.flush()
        t0 = time.perf_counter()
        env = dict(os.environ)
        if SRC_OVERRIDE is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                [str(SRC_OVERRIDE), *filter(None, [env.get("PYTHONPATH")])]
            )
        proc = subprocess.Popen(cmd, cwd=book.src, stdout=fh, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    after = len(execlog.read_text().splitlines()) if execlog.exists() else 0
    cpu = usage.ru_utime + usage.ru_stime
    run = Run(seconds, cpu, usage.ru_maxrss / 1024, proc.returncode, load, after - before)
    if run.returncode != 0:
        print(f"  !! build failed ({run.returncode}); see {log}", file=sys.stderr, flush=True)
    return run


def html_of(out: Path) -> Path:
    return out / "_build" / "html"


def index_files(html: Path) -> list[Path]:
    """The search index: talkbook's meta file and shards, or stock Sphinx's searchindex.js."""
    ours = html / "_static" / "talkbook-search"
    if (ours / "meta.js").is_file():
        return sorted([ours / "meta.js", *ours.glob("s[0-9]*.js")])
    return sorted(p for p in html.glob("searchindex*.js"))


def site_size(html: Path) -> int:
    return sum(p.stat().st_size for p in html.rglob("*") if p.is_file())


def html_mtimes(html: Path) -> dict[str, int]:
    """Modification time of every HTML file of the output (to count what a build wrote)."""
    if not html.is_dir():
        return {}
    return {str(p.relative_to(html)): p.stat().st_mtime_ns for p in html.rglob("*.html")}


def written(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {p for p, t in after.items() if before.get(p) != t}


def page_bytes(html: Path) -> float:
    """Median size of a note's HTML page."""
    sizes = [p.stat().st_size for p in (html / "book" / "notes").rglob("note-*.html")]
    return statistics.median(sizes) if sizes else 0.0


def expected_after_add(book: Book) -> set[str]:
    """The pages whose navigation shows a chapter just added at the end of the last part:
    the new page, its siblings (the part's chapters), the page before it in reading order,
    the root; and, because Sphinx writes a page's toctree ancestors with it, the chapters
    and root above these (already in the set)."""
    chapters = book.toc["parts"][-1]["chapters"]
    order = [book.toc["root"]]
    for part in book.toc["parts"]:
        for ch in part["chapters"]:
            order.append(ch["file"])
            order += [sec["file"] for sec in ch.get("sections", [])]
    new = chapters[-1]["file"]
    prev = order[order.index(new) - 1]
    return {f"{d}.html" for d in {new, prev, book.toc["root"], *(c["file"] for c in chapters)}}


# --------------------------------------------------------------------------- edits


def edit_page(book: Book, r: int) -> None:
    i = len(book.notes) // 2
    text = note_text(book, i, extra=f"편집 {r}: " + paragraph(random.Random(r), 2))
    (book.src / f"{book.notes[i]}.md").write_text(text, encoding="utf-8")


def edit_csv(book: Book, r: int) -> None:
    talk = book.talks[len(book.talks) // 2]
    talk.title = f"{talk.title.split(' (수정')[0]} (수정 {r})"
    write_talks(book.src / "data" / "talks.csv", book.talks)


def add_page(book: Book, r: int) -> None:
    doc = f"book/notes/extra/added-{r}"
    path = book.src / f"{doc}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        front_matter("essay", None, ["performance"], [], "추가된 페이지")
        + f"# 추가된 페이지 {r}\n\n"
        + paragraph(random.Random(r), 6)
        + "\n",
        encoding="utf-8",
    )
    book.toc["parts"][-1]["chapters"].append({"file": doc})
    write_toc(book)


EDITS = {"edit_page": edit_page, "edit_csv": edit_csv, "add_page": add_page}

# --------------------------------------------------------------------------- search in Chromium


def load_queries() -> list[str]:
    if QUERIES.exists():
        with QUERIES.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
        qs = [r["query"].strip() for r in rows if r.get("query", "").strip()]
        if qs:
            return qs
    return FALLBACK_QUERIES


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


_TIME_QUERIES_JS = """
([queries, rounds]) => {
  const run = (q) => {
    const t0 = performance.now();
    if (Search._parseQuery && Search._performSearch) {
      const parsed = Search._parseQuery(q);
      const results = Search._performSearch(...parsed);
      return [performance.now() - t0, results.length];
    }
    return [NaN, 0];
  };
  run("warm up");
  const times = [], hits = {};
  for (let r = 0; r < rounds; r++) {
    for (const q of queries) {
      const [ms, n] = run(q);
      times.push(ms);
      hits[q] = n;
    }
  }
  return {times, hits};
}
"""


def search_times(html: Path, queries: list[str], rounds: int = 3) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with serve(html) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            t0 = time.perf_counter()
            page.goto(url + "search.html")
            page.wait_for_function(
                "() => typeof Search !== 'undefined' && Search.hasIndex()", timeout=120_000
            )
            load_ms = (time.perf_counter() - t0) * 1000
            res = page.evaluate(_TIME_QUERIES_JS, [queries, rounds])
        finally:
            browser.close()
    times = sorted(t for t in res["times"] if t == t)
    if not times:
        return {"index_load_ms": load_ms}
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {
        "index_load_ms": load_ms,
        "query_median_ms": statistics.median(times),
        "query_p95_ms": p95,
        "query_hits_median": statistics.median(res["hits"].values()),
    }


# --------------------------------------------------------------------------- the benchmark


#: build times, shown as "wall / CPU": key prefix (``<what>_s``, ``<what>_cpu_s``), label
TIMES = [
    ("full", "full clean build"),
    ("nochange", "no-change rebuild"),
    ("edit_page", "edit one page"),
    ("edit_csv", "edit talks.csv row"),
    ("add_page", "add page to _toc.yml"),
]
METRICS = [
    # key, label, unit, format
    ("nochange_written", "HTML written, no-change", "", "{:.0f}"),
    ("edit_page_written", "HTML written, edit page", "", "{:.0f}"),
    ("edit_csv_written", "HTML written, edit csv", "", "{:.0f}"),
    ("add_page_written_all", "HTML written, add page", "", "{:.0f}"),
    ("add_page_written", "book pages written, add", "", "{:.0f}"),
    ("add_page_expected", "book pages expected, add", "", "{:.0f}"),
    ("load1", "load average (1 min)", "", "{:.1f}"),
    ("peak_mem_mb", "peak memory", "MB", "{:.0f}"),
    ("nb_exec_nochange", "nb executions, no-change", "", "{:.0f}"),
    ("index_raw", "search index raw", "KB", "{:.0f}"),
    ("index_gzip", "search index gzip", "KB", "{:.0f}"),
    ("site_bytes", "whole site", "MB", "{:.1f}"),
    ("page_bytes", "note page (median)", "KB", "{:.1f}"),
    ("query_median_ms", "query median", "ms", "{:.2f}"),
    ("query_p95_ms", "query p95", "ms", "{:.2f}"),
    ("index_load_ms", "search page + index load", "ms", "{:.0f}"),
    ("failed_builds", "failed builds", "", "{:.0f}"),
]
SCALE = {
    "index_raw": 1 / 1024,
    "index_gzip": 1 / 1024,
    "site_bytes": 1 / 1024 / 1024,
    "page_bytes": 1 / 1024,
}
W = 16  # column width


def bench_size(n: int, args: argparse.Namespace, results: dict, writer: CsvOut) -> None:
    queries = load_queries()
    variants = [v for v in args.variants if v != "stock" or n <= STOCK_MAX]
    books: dict[str, Book] = {}
    runs: dict[str, list[Run]] = {v: [] for v in variants}
    base = args.out / str(n)
    for v in variants:
        books[v] = make_book(base / v / "src", n, v)
    log = {v: base / v / "build.log" for v in variants}
    out = {v: base / v / "out" for v in variants}
    full_repeat = args.full_repeat if args.full_repeat else (3 if n <= 500 else 1)

    def record(v: str, key: str, value: float, extra: str = "") -> None:
        results.setdefault(n, {}).setdefault(v, {})[key] = value
        writer.row(n, v, key, value, extra)

    def timed(v: str, what: str) -> Run:
        r = build(books[v], out[v], log[v])
        runs[v].append(r)
        print(
            f"  N={n:<5} {v:<5} {what:<10} {r.seconds:7.1f} s  cpu {r.cpu:7.1f} s"
            f"  rss {r.maxrss_mb:6.0f} MB  load {r.load:4.1f}"
            f"{'  nb-exec ' + str(r.executions) if r.executions else ''}{'  FAILED' if r.returncode else ''}",
            flush=True,
        )
        writer.raw(n, v, what, r)
        return r

    nb_exec = {v: 0 for v in variants}
    for what in ("full", "nochange", *EDITS):
        done: dict[str, list[Run]] = {v: [] for v in variants}
        wrote: dict[str, list[int]] = {v: [] for v in variants}
        for r in range(full_repeat if what == "full" else args.repeat):
            for v in variants:  # interleaved, so load changes hit both variants alike
                if what == "full":
                    shutil.rmtree(out[v], ignore_errors=True)
                elif what in EDITS:
                    EDITS[what](books[v], r)
                before = html_mtimes(html_of(out[v]))
                done[v].append(timed(v, what))
                now = html_mtimes(html_of(out[v]))
                new = written(before, now)
                wrote[v].append(len(new))
                if what == "nochange":
                    nb_exec[v] += done[v][-1].executions
                if what == "add_page":
                    docs = {p for p in new if p.startswith("book/")}
                    expected = expected_after_add(books[v])
                    record(
                        v,
                        "add_page_written",
                        len(docs),
                        f"of {sum(1 for p in now if p.startswith('book/'))} book pages; "
                        f"unexpected: {sorted(docs - expected)[:5]}",
                    )
                    record(v, "add_page_expected", len(expected))
        for v in variants:
            if what != "full":
                key = "add_page_written_all" if what == "add_page" else f"{what}_written"
                record(v, key, statistics.median(wrote[v]), f"runs={wrote[v]}")
            secs = [x.seconds for x in done[v]]
            cpus = [x.cpu for x in done[v]]
            record(v, f"{what}_s", statistics.median(secs), f"runs={[round(t, 2) for t in secs]}")
            record(
                v, f"{what}_cpu_s", statistics.median(cpus), f"runs={[round(t, 2) for t in cpus]}"
            )
    for v in variants:
        record(v, "nb_exec_nochange", nb_exec[v])
        record(v, "load1", statistics.median(x.load for x in runs[v]), "median over the builds")
        record(v, "peak_mem_mb", max(r.maxrss_mb for r in runs[v]))
        record(v, "failed_builds", sum(1 for r in runs[v] if r.returncode))
        html = html_of(out[v])
        idx = index_files(html)
        raw = b"".join(p.read_bytes() for p in idx)
        record(v, "index_raw", len(raw), ";".join(p.name for p in idx))
        record(v, "index_gzip", sum(len(gzip.compress(p.read_bytes(), 9)) for p in idx))
        record(v, "site_bytes", site_size(html))
        record(v, "page_bytes", page_bytes(html))
        if not args.no_browser and os.path.exists(CHROMIUM):
            try:
                for key, value in search_times(html, queries).items():
                    record(v, key, value, f"queries={len(queries)}")
            except Exception as err:  # a broken browser must not lose the build figures
                print(f"  !! search timing failed: {err}", file=sys.stderr)
    print_table(results, variants, [n])
    if not args.keep:
        for v in variants:
            shutil.rmtree(base / v / "src", ignore_errors=True)
            shutil.rmtree(out[v], ignore_errors=True)


class CsvOut:
    """bench.csv (figures) and bench-runs.csv (every build), appended as they come."""

    def __init__(self, path: Path, meta: dict[str, str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = path.open("w", encoding="utf-8", newline="")
        self.w = csv.writer(self.fh, lineterminator="\n")
        self.w.writerow(["n", "variant", "metric", "value", "detail", "run_started", "machine"])
        self.meta = meta
        rpath = path.with_name(path.stem + "-runs.csv")
        self.rfh = rpath.open("w", encoding="utf-8", newline="")
        self.rw = csv.writer(self.rfh, lineterminator="\n")
        self.rw.writerow(
            [
                "n",
                "variant",
                "what",
                "seconds",
                "cpu_s",
                "maxrss_mb",
                "returncode",
                "load1",
                "nb_exec",
            ]
        )

    def row(self, n: int, variant: str, metric: str, value: float, detail: str = "") -> None:
        self.w.writerow(
            [
                n,
                variant,
                metric,
                round(value, 4),
                detail,
                self.meta["started"],
                self.meta["machine"],
            ]
        )
        self.fh.flush()

    def raw(self, n: int, variant: str, what: str, r: Run) -> None:
        self.rw.writerow(
            [
                n,
                variant,
                what,
                round(r.seconds, 3),
                round(r.cpu, 3),
                round(r.maxrss_mb, 1),
                r.returncode,
                round(r.load, 2),
                r.executions,
            ]
        )
        self.rfh.flush()


def print_table(results: dict, variants: list[str], sizes: list[int]) -> None:
    both = "stock" in variants and "ours" in variants
    print()
    head = (
        f"{'N':>5}  {'metric':<34}{'unit':>5}"
        + "".join(f"{v:>{W}}" for v in variants)
        + (f"{'ours/stock':>{W}}" if both else "")
    )
    print(head + "\n" + "-" * len(head))
    for n in sizes:
        got = {v: results.get(n, {}).get(v, {}) for v in variants}
        for what, label in TIMES:  # wall and CPU side by side
            pairs = {v: (got[v].get(f"{what}_s"), got[v].get(f"{what}_cpu_s")) for v in variants}
            if all(w is None for w, _c in pairs.values()):
                continue
            cells = "".join(
                f"{_pair(w, c, '{:.1f}'):>{W}}" for w, c in (pairs[v] for v in variants)
            )
            ratio = ""
            if both:
                (sw, sc), (ow, oc) = pairs["stock"], pairs["ours"]
                ratio = f"{_pair(ow / sw if sw and ow else None, oc / sc if sc and oc else None, '{:.2f}x'):>{W}}"
            print(f"{n:>5}  {label + ', wall / CPU':<34}{'s':>5}{cells}{ratio}")
        for key, label, unit, fmt in METRICS:
            vals = {v: got[v].get(key) for v in variants}
            if all(x is None for x in vals.values()):
                continue
            cells = "".join(
                f"{fmt.format(vals[v] * SCALE.get(key, 1)) if vals[v] is not None else '-':>{W}}"
                for v in variants
            )
            ratio = ""
            if both and vals["stock"] and vals["ours"] is not None:
                ratio = f"{vals['ours'] / vals['stock']:>{W - 1}.2f}x"
            elif both:
                ratio = f"{'-':>{W}}"
            print(f"{n:>5}  {label:<34}{unit:>5}{cells}{ratio}")
        print()
    sys.stdout.flush()


def _pair(wall: float | None, cpu: float | None, fmt: str) -> str:
    if wall is None and cpu is None:
        return "-"
    return " / ".join("-" if x is None else fmt.format(x) for x in (wall, cpu))


def scaling(results: dict, variants: list[str]) -> None:
    for v in variants:
        for key, what in (("full_s", "wall"), ("full_cpu_s", "CPU")):
            t = {n: results[n][v][key] for n in sorted(results) if key in results[n].get(v, {})}
            pairs = [(a, b) for a in t for b in t if b > a]
            if pairs:
                print(
                    f"scaling of the full build ({v}, {what}): "
                    + ", ".join(
                        f"t({b})/t({a}) = {t[b] / t[a]:.2f} (pages x{b / a:g})" for a, b in pairs
                    )
                )


#: the issue's targets: (description, check(results) -> (value shown, ok) or None when not measured)
def _get(results: dict, n: int, v: str, key: str) -> float | None:
    return results.get(n, {}).get(v, {}).get(key)


#: targets that bound one figure of ours: label, N, metric, bound (figure <= bound), format;
#: a metric ending in ``_s`` is a wall time, judged on CPU time when the machine was loaded
FIGURE_TARGETS = [
    ("full build at N=1000 <= 90 s", 1000, "full_s", 90, "{:.1f} s"),
    ("no-change rebuild at N=1000 <= 2 s CPU", 1000, "nochange_cpu_s", 2, "{:.2f} s"),
    ("edit one page at N=1000 <= 4 s CPU", 1000, "edit_page_cpu_s", 4, "{:.2f} s"),
    ("edit a talks.csv row at N=1000 <= 4 s CPU", 1000, "edit_csv_cpu_s", 4, "{:.2f} s"),
    ("add page to _toc.yml at N=2000 <= 10 s", 2000, "add_page_s", 10, "{:.1f} s"),
    ("query median at N=2000 <= 30 ms", 2000, "query_median_ms", 30, "{:.1f} ms"),
    ("query p95 at N=2000 <= 100 ms", 2000, "query_p95_ms", 100, "{:.1f} ms"),
    ("no-change rebuild at N=10000 <= 5 s", 10000, "nochange_s", 5, "{:.1f} s"),
    ("edit one page at N=10000 <= 8 s", 10000, "edit_page_s", 8, "{:.1f} s"),
]


def loaded(results: dict, n: int) -> bool:
    """Whether the builds of ours at N ran on a loaded machine (load average per core)."""
    load = _get(results, n, "ours", "load1")
    return load is not None and load > LOADED * (os.cpu_count() or 1)


def timing(results: dict, n: int, key: str) -> tuple[float | None, str]:
    """A wall-time figure of ours, or its CPU time when the machine was loaded."""
    if key.endswith("_s") and not key.endswith("_cpu_s") and loaded(results, n):
        return _get(results, n, "ours", key[:-2] + "_cpu_s"), " (CPU: loaded)"
    return _get(results, n, "ours", key), ""


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    """Each target of the performance issue, with the figure it is judged on."""
    out: list[tuple[str, str, bool | None]] = []

    def add(label: str, value: float | None, ok: Callable[[float], bool], fmt: str) -> None:
        out.append(
            (
                label,
                "-" if value is None else fmt.format(value),
                None if value is None else ok(value),
            )
        )

    (t500, how500), (t2000, how2000) = (timing(results, n, "full_s") for n in (500, 2000))
    add(
        "full build: time(2000) / time(500) <= 4.5" + (how500 or how2000),
        t2000 / t500 if t500 and t2000 else None,
        lambda x: x <= 4.5,
        "{:.2f}",
    )
    s500 = _get(results, 500, "stock", "full_cpu_s" if how500 else "full_s")
    add(
        "full build at N=500: ours / stock <= 1.0" + how500,
        t500 / s500 if t500 and s500 else None,
        lambda x: x <= 1.0,
        "{:.2f}x",
    )
    p500, p2000 = (_get(results, n, "ours", "page_bytes") for n in (500, 2000))
    add(
        "note page: size(2000) / size(500) <= 1.2",
        p2000 / p500 if p500 and p2000 else None,
        lambda x: x <= 1.2,
        "{:.2f}",
    )
    o, st = (_get(results, 2000, v, "site_bytes") for v in ("ours", "stock"))
    add(
        "whole site at N=2000: ours / stock <= 0.25",
        o / st if o and st else None,
        lambda x: x <= 0.25,
        "{:.2f}",
    )
    for label, n, key, bound, fmt in FIGURE_TARGETS:
        value, how = timing(results, n, key)
        add(label + how, value, lambda x, bound=bound: x <= bound, fmt)
    w, e = (_get(results, 2000, "ours", k) for k in ("add_page_written", "add_page_expected"))
    add(
        f"add page at N=2000: book pages written <= expected ({e or 0:.0f})",
        w if e is not None else None,
        lambda x: x <= (e or 0),
        "{:.0f} pages",
    )
    gz = _get(results, 2000, "ours", "index_gzip")
    add(
        "search index gzip at N=2000 <= 3 MB",
        gz / 1024 / 1024 if gz is not None else None,
        lambda x: x <= 3,
        "{:.2f} MB",
    )
    execs = [x for n in results if (x := _get(results, n, "ours", "nb_exec_nochange")) is not None]
    add(
        "no-change rebuild executes no notebook",
        sum(execs) if execs else None,
        lambda x: x == 0,
        "{:.0f} executions",
    )
    add(
        "peak memory at N=2000 < 2 GB",
        _get(results, 2000, "ours", "peak_mem_mb"),
        lambda x: x < 2048,
        "{:.0f} MB",
    )
    # an idle-machine target: wall time (a loaded machine only makes it slower), with -j
    add(
        "full build at N=10000 <= 10 min wall" + (" (loaded)" if loaded(results, 10000) else ""),
        _get(results, 10000, "ours", "full_s"),
        lambda x: x <= 600,
        "{:.0f} s",
    )
    add(
        "peak memory at N=10000 <= 4 GB",
        _get(results, 10000, "ours", "peak_mem_mb"),
        lambda x: x <= 4096,
        "{:.0f} MB",
    )
    return out


def print_targets(results: dict) -> None:
    print("\ntargets (ours):")
    for label, value, ok in targets(results):
        mark = "not measured" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {label:<62}{value:>18}  {mark}")


def merge(results: dict, path: Path, variants: list[str], sizes: list[int], writer: CsvOut) -> str:
    """Add figures of an earlier run (its bench.json) for the variants and sizes not measured
    in this run: stock Jupyter Book does not depend on talkbook's code, so its slow large-N
    builds need not be repeated for every change of ours. Returns a line saying where they
    came from, printed with the table."""
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data.get("meta", {})
    taken = []
    for n_text, per_variant in data["results"].items():
        n = int(n_text)
        for v, figures in per_variant.items():
            if n in sizes and v in variants:
                continue  # measured in this run
            results.setdefault(n, {})[v] = figures
            taken.append(f"{v} N={n}")
            for metric, value in figures.items():
                writer.row(
                    n, v, metric, value, f"merged from {path.name} ({meta.get('started', '?')})"
                )
    return (
        f"merged from {path} (run started {meta.get('started', '?')}, machine: "
        f"{meta.get('machine', '?')}): {', '.join(taken) or 'nothing'}"
    )


def machine() -> str:
    cpus = os.cpu_count()
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip() + ", "
                break
    return f"{model}{cpus} cores{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help=f"N = {', '.join(map(str, QUICK_SIZES))} only"
    )
    ap.add_argument(
        "--big",
        action="store_true",
        help=f"N = {', '.join(map(str, BIG_SIZES))}, ours alone (stock only up to {STOCK_MAX})",
    )
    ap.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], help="comma-separated page counts"
    )
    ap.add_argument(
        "--variants",
        type=lambda s: s.split(","),
        default=list(VARIANTS),
        help="stock,ours (default both)",
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs of each incremental rebuild (median)"
    )
    ap.add_argument(
        "--full-repeat",
        type=int,
        default=0,
        help="clean builds per N (default 3 up to N=500, else 1)",
    )
    ap.add_argument("--out", type=Path, default=Path("/tmp/talkbook-bench"), help="scratch folder")
    ap.add_argument("--csv", type=Path, default=ROOT / "_build" / "bench" / "bench.csv")
    ap.add_argument("--keep", action="store_true", help="keep the synthetic books and builds")
    ap.add_argument("--no-browser", action="store_true", help="skip the search timing in Chromium")
    ap.add_argument(
        "--generate",
        type=Path,
        metavar="DIR",
        help="only write the synthetic book (--sizes[0], first variant) to DIR",
    )
    ap.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        metavar="BENCH_JSON",
        help="add figures of an earlier run (bench.json) for variants/sizes this run does not "
        "measure, e.g. stock at N=2000; they are shown in the table and marked as merged",
    )
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="build nothing: print the table and targets of the --merge'd runs",
    )
    ap.add_argument(
        "--src",
        type=Path,
        help="build with the talkbook package from this folder (e.g. a patched copy of src/)",
    )
    ap.add_argument(
        "--jobs", default="auto", help="processes for our builds, as make build's JOBS (auto)"
    )
    args = ap.parse_args(argv)
    global SRC_OVERRIDE, JOBS
    SRC_OVERRIDE = args.src.resolve() if args.src else None
    JOBS = str(args.jobs)
    sizes = args.sizes or (
        list(QUICK_SIZES) if args.quick else list(BIG_SIZES) if args.big else list(SIZES)
    )
    if args.report_only:
        if not args.merge:
            ap.error("--report-only needs at least one --merge BENCH_JSON")
        sizes = []
    if args.generate:
        make_book(args.generate, sizes[0], args.variants[0])
        print(f"wrote a {sizes[0]}-page {args.variants[0]} book to {args.generate}")
        return 0
    meta = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine()}
    if SRC_OVERRIDE:
        meta["src"] = str(SRC_OVERRIDE)
    print(f"talkbook bench: N = {sizes}, variants = {args.variants}, machine: {meta['machine']}")
    print(
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; command: "
        f"{' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}",
        flush=True,
    )
    writer = CsvOut(args.csv, meta)
    results: dict = {}
    for n in sizes:
        bench_size(n, args, results, writer)
    merged = [merge(results, path, args.variants, sizes, writer) for path in args.merge]
    all_sizes = sorted(results)
    all_variants = [v for v in VARIANTS if any(v in results[n] for n in results)]
    print_table(results, all_variants, all_sizes)
    for line in merged:
        print(line)
    if merged:
        meta["merged"] = "; ".join(merged)
    scaling(results, all_variants)
    print_targets(results)
    (args.csv.with_suffix(".json")).write_text(
        json.dumps({"meta": meta, "results": results}, indent=1), encoding="utf-8"
    )
    print(
        f"\nwrote {args.csv} (and {args.csv.with_name(args.csv.stem + '-runs.csv').name}, {args.csv.with_suffix('.json').name})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
