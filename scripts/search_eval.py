#!/usr/bin/env python3
"""Search quality side by side: stock Sphinx, talkbook.search and Pagefind.

For each corpus (the book itself with ``tests/search/queries.csv``; the foreign corpus
``../shared/corpora/tensorflow-docs-ko`` with ``tests/search/queries_tensorflow_ko.csv``,
skipped when the folder is absent) it builds the HTML twice with jupyter-book into a
scratch folder:

* ``stock``: Sphinx's own search (``talkbook_search: false``; Korean indexed as English);
* ``ours``: ``talkbook.search`` (ranked, sharded, loaded on demand);

then indexes the stock HTML with Pagefind (``python -m pagefind``, pinned in
requirements.txt; root selector ``article``: the page text without the navigation).

Every query runs in headless Chromium (Debian's ``/usr/bin/chromium``) through each site's
own search code: Sphinx's ``Search._parseQuery`` + ``_performSearch``,
``TalkbookSearch.search`` and Pagefind's ``pagefind.search``.  Per query kind it prints
recall@5 (share of the expected pages in the first 5 distinct pages), MRR (1 / rank of the
first expected page), the number of queries with no result at all and the 95th percentile
latency (ms, in the page, shards/fragments fetched as needed), then the same for the
held-back queries (``split = held``: never used while tuning), index sizes and build times.

Usage::

    .venv/bin/python scripts/search_eval.py                 # build, index, evaluate
    .venv/bin/python scripts/search_eval.py --no-build      # reuse the builds in --out
    .venv/bin/python scripts/search_eval.py --corpus tensorflow-ko --details
    .venv/bin/python scripts/search_eval.py --json results.json --check
    .venv/bin/python scripts/search_eval.py --corpora /elsewhere/corpora   # another folder
    .venv/bin/python scripts/search_eval.py --scale 10000   # loading figures, synthetic book
    .venv/bin/python scripts/search_eval.py --scale 10000 --repeat 3   # latency pooled over 3 runs

The query files have a ``split`` column: ``held`` queries were written with the others
but never looked at while tuning the ranking constants; they are reported apart.

Exit status: 0, or 1 with ``--check`` when ours misses a target (see TARGETS).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUERIES = ROOT / "tests" / "search" / "queries.csv"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOP_K = 5
VARIANTS = ("stock", "ours", "pagefind")


@dataclass
class Corpus:
    name: str
    source: Path  # the book folder (with _config.yml and _toc.yml)
    queries: Path
    copy: bool  # build from a scratch copy (a corpus outside the repository)
    strict: bool  # -W -n --keep-going (the book); a foreign corpus has markup warnings


CORPORA = [
    Corpus("book", ROOT, QUERIES, copy=False, strict=False),
    Corpus(
        "tensorflow-ko",
        Path("tensorflow-docs-ko"),  # under --corpora
        ROOT / "tests" / "search" / "queries_tensorflow_ko.csv",
        copy=True,
        strict=False,
    ),
]
#: ours must reach these (per corpus, overall and held back) and never trail Pagefind
TARGETS = {
    "book": {"recall": 0.99, "mrr": 0.95},
    "tensorflow-ko": {"recall": 0.95, "mrr": 0.90},
    "held": {"recall": 0.99, "mrr": 0.95},
    "growth": 0.15,  # index bytes over stock's searchindex.js (raw)
    "p95_ms": 50.0,
}


# --------------------------------------------------------------------------- queries
@dataclass
class Query:
    kind: str
    query: str
    expected: list[str]
    split: str = "tune"
    note: str = ""


def load_queries(path: Path) -> list[Query]:
    """Read a query file: kind (or group), query, expected (';'), split (tune|held), note."""
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            expected = [d.strip() for d in row["expected"].split(";") if d.strip()]
            kind = (row.get("kind") or row.get("group") or "").strip()
            split = (row.get("split") or "tune").strip()
            out.append(Query(kind, row["query"], expected, split, row.get("note", "")))
    return out


# --------------------------------------------------------------------------- build
def write_config(corpus: Corpus, src: Path, variant: str, dest: Path) -> Path:
    """A copy of the corpus's _config.yml for one variant (the original is not touched)."""
    cfg = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8"))
    sphinx = cfg.setdefault("sphinx", {})
    exts = list(sphinx.get("extra_extensions") or [])
    if "talkbook.search" not in exts:
        exts.append("talkbook.search")
    sphinx["extra_extensions"] = exts
    conf = sphinx.setdefault("config", {})
    conf["talkbook_search"] = variant == "ours"
    conf["talkbook_search_korean"] = variant == "ours"
    path = dest / f"_config.{corpus.name}.{variant}.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def source_of(corpus: Corpus, out: Path) -> Path:
    if not corpus.copy:
        return corpus.source
    # a scratch copy: the corpus folder stays untouched (and may be read-only)
    dest = out / corpus.name / "src"
    if not dest.exists():
        shutil.copytree(corpus.source, dest)
    return dest


def build(corpus: Corpus, variant: str, out: Path) -> dict[str, float]:
    """Build *corpus* for *variant* into out/<corpus>/<variant>; return the build time."""
    target = out / corpus.name / variant
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    src = source_of(corpus, out)
    config = write_config(corpus, src, variant, out / corpus.name)
    cmd = [
        str(BIN / "jupyter-book"),
        "build",
        str(src),
        "--config",
        str(config),
        "--path-output",
        str(target),
        "--all",
        "-q",
    ]
    if corpus.strict:
        cmd += ["-W", "-n", "--keep-going"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout
    seconds = time.perf_counter() - t0
    html = html_dir(out, corpus, variant)
    if proc.returncode != 0 or not (html / "search.html").exists():
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"{corpus.name} {variant} build failed ({proc.returncode})")
    return {"build_s": seconds}


def html_dir(out: Path, corpus: Corpus, variant: str) -> Path:
    if variant == "pagefind":
        variant = "stock"
    return out / corpus.name / variant / "_build" / "html"


def pagefind_index(html: Path) -> float:
    """Index the stock HTML with Pagefind (into html/pagefind); return the seconds it took."""
    shutil.rmtree(html / "pagefind", ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(html),
            "--root-selector",
            "article",
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"pagefind failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def _sizes(files: list[Path]) -> dict[str, int]:
    raw = sum(p.stat().st_size for p in files)
    gz = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in files)
    return {"raw": raw, "gzip": gz, "files": len(files)}


def index_sizes(html: Path, variant: str) -> dict[str, int]:
    """What a reader may download for search: the index only (not the engine code)."""
    if variant == "stock":
        return _sizes([html / "searchindex.js"])
    if variant == "ours":
        folder = html / "_static" / "talkbook-search"
        return _sizes([folder / "meta.js", *sorted(folder.glob("s[0-9]*.js"))])
    folder = html / "pagefind"
    return _sizes(
        [
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix not in (".js", ".css") and "wasm" not in p.name
        ]
    )


# --------------------------------------------------------------------------- browser
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep the report readable
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve *directory* on 127.0.0.1 (free port) from a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium (Debian's), driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Each returns {hrefs: [...ranked], ms}; the time covers what a reader waits for
# (Sphinx: the synchronous search over its loaded index; ours and Pagefind: analysis,
# fetching the needed shards/fragments, ranking).
_QUERY_JS = {
    "stock": """
(q) => {
  const t0 = performance.now();
  const parsed = Search._parseQuery(q);
  const results = Search._performSearch(...parsed);
  const ms = performance.now() - t0;
  // _displayNextItem pops from the end: the best result is the last one
  return {hrefs: results.slice().reverse().map((r) => r[0]), ms};
}""",
    "ours": """
async (q) => {
  const r = await TalkbookSearch.search(q);
  return {hrefs: r.results.map((x) => x.url), ms: r.ms};
}""",
    "pagefind": """
async (q) => {
  const t0 = performance.now();
  const r = await window.pf.search(q);
  const data = await Promise.all(r.results.slice(0, 10).map((x) => x.data()));
  const ms = performance.now() - t0;
  return {hrefs: data.map((d) => d.url), ms, total: r.results.length};
}""",
}

_READY_JS = {
    "stock": "() => typeof Search !== 'undefined' && Search.hasIndex()",
    "ours": "() => typeof TalkbookSearch !== 'undefined' && !!TalkbookSearch.search",
    "pagefind": "() => !!window.pf",
}


def href_to_docname(href: str) -> str:
    path = unquote(urlsplit(href).path).lstrip("/")
    while path.startswith("./"):
        path = path[2:]
    for suffix in (".html", "/"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return path


def ranked_docnames(hrefs: list[str]) -> list[str]:
    """Distinct pages in result order (a page may also appear as several sections)."""
    seen: list[str] = []
    for href in hrefs:
        doc = href_to_docname(href)
        if doc not in seen:
            seen.append(doc)
    return seen


class SearchPage:
    """One served build, ready to run queries through one engine."""

    def __init__(self, browser: object, base_url: str, variant: str) -> None:
        self.variant = variant
        self.page = browser.new_page()  # type: ignore[attr-defined]
        if variant == "ours":
            self.page.goto(base_url + "search.html?q=")
            # the page loads the engine once the box is used
            self.page.locator('input[name="q"]:visible').first.fill("x")
        elif variant == "pagefind":
            self.page.goto(base_url + "search.html")
            self.page.evaluate(
                "async (u) => { window.pf = await import(u); await window.pf.init(); }",
                base_url + "pagefind/pagefind.js",
            )
        else:
            self.page.goto(base_url + "search.html")
        self.page.wait_for_function(_READY_JS[variant], timeout=120_000)

    def run(self, query: str) -> tuple[list[str], float]:
        got = self.page.evaluate(_QUERY_JS[self.variant], query)
        return ranked_docnames(got["hrefs"]), float(got["ms"])

    def close(self) -> None:
        self.page.close()


# --------------------------------------------------------------------------- metrics
@dataclass
class Outcome:
    query: Query
    ranked: list[str]
    ms: float
    recall: float = 0.0
    rr: float = 0.0
    missing: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        top = self.ranked[:TOP_K]
        found = [d for d in self.query.expected if d in top]
        self.recall = len(found) / len(self.query.expected)
        self.missing = [d for d in self.query.expected if d not in top]
        ranks = [self.ranked.index(d) + 1 for d in self.query.expected if d in self.ranked]
        self.rr = 1 / min(ranks) if ranks else 0.0


def evaluate(html: Path, variant: str, queries: list[Query], browser: object) -> list[Outcome]:
    with serve(html) as url:
        page = SearchPage(browser, url, variant)
        try:
            return [Outcome(q, *page.run(q.query)) for q in queries]
        finally:
            page.close()


def p95(values: list[float]) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))] if v else float("nan")


def summary(outcomes: list[Outcome]) -> dict[str, float]:
    return {
        "n": len(outcomes),
        "recall": sum(o.recall for o in outcomes) / len(outcomes),
        "mrr": sum(o.rr for o in outcomes) / len(outcomes),
        "zero": sum(1 for o in outcomes if not o.ranked),
        "p95_ms": p95([o.ms for o in outcomes]),
        "median_ms": statistics.median(o.ms for o in outcomes),
    }


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.query.kind].append(o)
    held = [o for o in outcomes if o.query.split == "held"]
    out = {g: summary(os_) for g, os_ in groups.items()}
    out["ALL"] = summary(outcomes)
    if held:
        out["held"] = summary(held)
        out["tune"] = summary([o for o in outcomes if o.query.split != "held"])
    return out


# --------------------------------------------------------------------------- report
def report(name: str, results: dict[str, dict], details: bool) -> str:
    variants = [v for v in VARIANTS if v in results]
    lines = [f"== {name}: {results['ours']['summary']['ALL']['n']} queries, top {TOP_K}"]
    short = {"stock": "stock", "ours": "ours", "pagefind": "pf"}
    head = f"{'kind':<17}{'n':>3}"
    for metric in ("recall@5", "MRR", "zero", "p95 ms"):
        head += "  " + " ".join(
            f"{metric if i == 0 else '':>{8 if i == 0 else 6}}" for i, _ in enumerate(variants)
        )
    lines.append(head)
    lines.append(
        f"{'':<20}"
        + ("  " + " ".join(f"{short[v]:>{8 if i == 0 else 6}}" for i, v in enumerate(variants))) * 4
    )
    for g in results["ours"]["summary"]:
        if g in ("ALL", "held"):
            lines.append("-" * len(head))
        row = f"{g:<17}{results['ours']['summary'][g]['n']:>3}"
        for metric, fmt in (("recall", ".3f"), ("mrr", ".3f"), ("zero", "d"), ("p95_ms", ".1f")):
            row += "  " + " ".join(
                f"{results[v]['summary'][g][metric]:>{8 if i == 0 else 6}{fmt}}"
                for i, v in enumerate(variants)
            )
        lines.append(row)
    lines.append("")
    lines.append(f"{'index (what a reader may fetch)':<34}{'raw':>12}{'gzip':>10}{'files':>7}")
    for v in variants:
        size = results[v]["index"]
        lines.append(f"  {v:<32}{size['raw']:>12,}{size['gzip']:>10,}{size['files']:>7}")
    growth = results["ours"]["index"]["raw"] / results["stock"]["index"]["raw"] - 1
    lines.append(
        f"  ours vs stock: {growth:+.1%} raw, "
        f"{results['ours']['index']['gzip'] / results['stock']['index']['gzip'] - 1:+.1%}"
        " gzip"
    )
    for v in variants:
        if results[v].get("build_s") is not None:
            lines.append(f"  {v} build/index time: {results[v]['build_s']:.1f} s")
    if details:
        lines.append("")
        for v in variants:
            for o in results[v]["outcomes"]:
                if o.recall < 1 or o.rr < 1:
                    lines.append(
                        f"[{v}] {o.query.kind:<15} {o.query.query!r:<24} rr={o.rr:.2f}"
                        f" missing={o.missing} top={o.ranked[:TOP_K]}"
                    )
    return "\n".join(lines)


def check(name: str, results: dict[str, dict]) -> list[str]:
    """The targets ours misses (empty: all met)."""
    ours, pf = results["ours"]["summary"], results.get("pagefind", {}).get("summary", {})
    missed = []
    want = TARGETS.get(name, TARGETS["book"])
    if ours["ALL"]["recall"] < want["recall"] or ours["ALL"]["mrr"] < want["mrr"]:
        missed.append(f"{name}: overall recall@5/MRR below {want['recall']}/{want['mrr']}")
    if "held" in ours and (
        ours["held"]["recall"] < TARGETS["held"]["recall"]
        or ours["held"]["mrr"] < TARGETS["held"]["mrr"]
    ):
        missed.append(f"{name}: held-back recall@5/MRR below targets")
    for g, s in ours.items():
        if g in pf and (s["recall"] < pf[g]["recall"] - 1e-9 or s["mrr"] < pf[g]["mrr"] - 1e-9):
            missed.append(f"{name}: {g} behind Pagefind")
    if ours["ALL"]["p95_ms"] > TARGETS["p95_ms"]:
        missed.append(f"{name}: query p95 above {TARGETS['p95_ms']} ms")
    growth = results["ours"]["index"]["raw"] / results["stock"]["index"]["raw"] - 1
    if growth > TARGETS["growth"]:
        missed.append(f"{name}: index {growth:+.0%} over stock")
    return missed


def run_corpus(corpus: Corpus, args: argparse.Namespace, browser: object) -> dict[str, dict]:
    queries = load_queries(corpus.queries)
    results: dict[str, dict] = {}
    for variant in ("stock", "ours"):
        info: dict[str, float | None] = {"build_s": None}
        if not args.no_build:
            print(f"building {corpus.name} / {variant} ...", file=sys.stderr, flush=True)
            info = build(corpus, variant, args.out)
        results[variant] = dict(info)
    html = html_dir(args.out, corpus, "stock")
    pf_s = None
    if not args.no_build or not (html / "pagefind").exists():
        print(f"indexing {corpus.name} with pagefind ...", file=sys.stderr, flush=True)
        pf_s = pagefind_index(html)
    results["pagefind"] = {"build_s": pf_s}
    for variant in VARIANTS:
        html = html_dir(args.out, corpus, variant)
        results[variant]["index"] = index_sizes(html, variant)
        outcomes = evaluate(html, variant, queries, browser)
        results[variant]["outcomes"] = outcomes
        results[variant]["summary"] = summarise(outcomes)
    return results


# --------------------------------------------------------------------------- scale
_SCALE_PAGE = """<!doctype html><html lang="ko"><head><meta charset="utf-8"></head><body>
<div id="search-results"></div>
<script>window.TalkbookSearch = {autorun: false};</script>
<script src="_static/talkbook-search/talkbook-search.js"></script></body></html>"""


def scale(
    pages: int,
    out: Path,
    browser: object,
    shard_kbs: list[int],
    seed: int = 7,
    repeat: int = 1,
) -> list[dict[str, float | str]]:
    """Index *pages* synthetic pages (scripts/bench.py's generator: Korean prose, a growing
    vocabulary) with the extension's collector and writer, once per shard size in
    *shard_kbs*, then measure in Chromium the bytes a first one-word query fetches (gzip)
    and the query latency (*repeat* times, each in a fresh page with an empty cache)."""
    import random

    from docutils import nodes
    from docutils.utils import new_document
    from sphinx.search.en import SearchEnglish  # noqa: F401  (registers the stemmer code)

    sys.path.insert(0, str(ROOT / "scripts"))
    import bench  # the synthetic-book generator (not modified here)

    from talkbook.search import engine
    from talkbook.search.korean import SearchKorean, WordMemo

    site = out / f"scale-{pages}"
    shutil.rmtree(site, ignore_errors=True)
    (site / "_static").mkdir(parents=True)
    rng = random.Random(seed)
    lang = SearchKorean({})
    WordMemo.current = WordMemo(out / "scale-words.pickle")
    t0 = time.perf_counter()
    collected = []
    try:
        for i in range(pages):
            doc = new_document(f"p{i}")
            section = nodes.section(ids=[f"s{i}"])
            title = bench.sentence(rng, 4).rstrip(".")
            section += nodes.title(text=title)
            for _ in range(8):
                section += nodes.paragraph(text=bench.paragraph(rng, 1 + rng.randint(8, 10) // 1))
            doc += section
            collected.append((f"p{i}", f"p{i}.html", engine.collect(doc, lang, title)))
    finally:
        WordMemo.current.save()
        WordMemo.current = None
    collect_s = time.perf_counter() - t0
    return [
        _scale_measure(site, collected, lang, kb, browser, repeat)
        | {"collect_s": round(collect_s, 1)}
        for kb in shard_kbs
    ]


def _scale_measure(
    site: Path, collected: list, lang: object, shard_kb: int, browser: object, repeat: int = 1
) -> dict[str, float | str]:
    from talkbook.search import engine

    sizes = engine.write_index(
        site,
        collected,
        {"lang": "ko", "stopwords": sorted(lang.stopwords), "variants": {}},  # type: ignore[attr-defined]
        shard_kb * 1024,
    )
    folder = site / engine.OUT_DIR
    shutil.copyfile(
        ROOT / "src" / "talkbook" / "search" / "static" / "talkbook-search.js",
        folder / "talkbook-search.js",
    )
    (folder / "stemmer.js").write_text(lang.js_stemmer_code, encoding="utf-8")  # type: ignore[attr-defined]
    (site / "search.html").write_text(_SCALE_PAGE, encoding="utf-8")
    words = [
        "쿠버네티스",
        "카프카",
        "컨슈머를",
        "파티션",
        "모델",
        "서빙하는",
        "샤딩",
        "Kafka",
        "검색 품질",
        "모델 서빙",
        "쿠버네티스파티션",
        "컨슈머",
        "프로파일러",
        "양자화",
    ]
    times: list[float] = []  # every run's 3 rounds of the words
    fetching: list[float] = []  # the first round of each run (shards fetched as needed)
    runs_p95: list[float] = []
    with serve(site) as url:
        for _run in range(repeat):
            page = browser.new_page()  # type: ignore[attr-defined]  # a fresh context: no cache
            page.goto(url + "search.html")
            first = page.evaluate(
                "async (q) => { await TalkbookSearch.search(q);"
                " return performance.getEntriesByType('resource')"
                ".map(e => e.name.split('/').pop()); }",
                "카프카",
            )
            run = page.evaluate(
                "async (qs) => { const t = []; for (let r = 0; r < 3; r++) for (const q of qs)"
                " { t.push((await TalkbookSearch.search(q)).ms); } return t; }",
                words,
            )
            page.close()
            times += run
            fetching += run[: len(words)]
            runs_p95.append(round(p95(run), 1))
    first_files = [folder / name for name in first if (folder / name).exists()]
    gz = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in first_files)
    index_files = [folder / "meta.js", *folder.glob("s[0-9]*.js")]
    return {
        "pages": len(collected),
        "shard_kb": shard_kb,
        "index_raw": sum(p.stat().st_size for p in index_files),
        "index_gzip": sum(len(gzip.compress(p.read_bytes(), 9)) for p in index_files),
        "shards": sizes["nshards"],
        "first_query_files": len(first_files),
        "first_query_gzip": gz,
        "meta_gzip": len(gzip.compress((folder / "meta.js").read_bytes(), 9)),
        "query_median_ms": round(statistics.median(times), 2),
        "query_p95_ms": round(p95(times), 2),
        # the first round alone: every query there may fetch its shards
        "fetching_p95_ms": round(p95(fetching), 2),
        "runs": repeat,
        "runs_p95_ms": "/".join(map(str, runs_p95)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "talkbook-search-eval",
        help="scratch dir for the builds (default: %(default)s)",
    )
    ap.add_argument("--no-build", action="store_true", help="reuse the builds already in --out")
    ap.add_argument(
        "--corpus",
        action="append",
        choices=[c.name for c in CORPORA],
        help="only this corpus (repeatable; default: every corpus present)",
    )
    ap.add_argument(
        "--corpora",
        type=Path,
        default=ROOT.parent / "shared" / "corpora",
        help="folder of the foreign corpora (default: %(default)s)",
    )
    ap.add_argument("--details", action="store_true", help="list every query not perfect")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--check", action="store_true", help="exit 1 when ours misses a target")
    ap.add_argument(
        "--scale",
        type=int,
        nargs="*",
        metavar="N",
        help="only the loading figures on synthetic books of N pages (e.g. 10000)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="R",
        help="with --scale: measure R times, each in a fresh page (figures pooled; a shared "
        "machine's load moves a single run's p95 by 10 ms or more)",
    )
    ap.add_argument(
        "--shard-kb",
        type=int,
        nargs="*",
        metavar="KB",
        help="with --scale: target shard sizes to compare (default: 48, the extension's)",
    )
    args = ap.parse_args(argv)

    if args.scale:
        args.out.mkdir(parents=True, exist_ok=True)
        with chromium() as browser:
            for n in args.scale:
                for figures in scale(
                    n, args.out, browser, args.shard_kb or [48], repeat=max(1, args.repeat)
                ):
                    print(" ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
                    ok = figures["first_query_gzip"] <= 500_000 and figures["query_p95_ms"] <= 50
                    print(
                        f"targets (first one-word query <= 500 KB gzip, p95 <= 50 ms): "
                        f"{'met' if ok else 'NOT met'}"
                    )
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    everything: dict[str, dict] = {}
    missed: list[str] = []
    with chromium() as browser:
        for corpus in CORPORA:
            if args.corpus and corpus.name not in args.corpus:
                continue
            if corpus.copy:
                corpus.source = args.corpora / corpus.source
            if not (corpus.source / "_config.yml").exists():
                print(f"skipping {corpus.name}: {corpus.source} is absent", file=sys.stderr)
                continue
            results = run_corpus(corpus, args, browser)
            everything[corpus.name] = results
            print(report(corpus.name, results, args.details), flush=True)
            print()
            missed += check(corpus.name, results)
    print("targets (ours): " + ("all met" if not missed else "NOT met: " + "; ".join(missed)))
    if args.json:
        dump = {
            name: {
                v: {k: val for k, val in r.items() if k != "outcomes"}
                | {
                    "queries": [
                        {
                            "kind": o.query.kind,
                            "query": o.query.query,
                            "split": o.query.split,
                            "recall": o.recall,
                            "rr": o.rr,
                            "ms": round(o.ms, 2),
                            "top": o.ranked[:TOP_K],
                        }
                        for o in r["outcomes"]
                    ]
                }
                for v, r in results.items()
            }
            for name, results in everything.items()
        }
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
