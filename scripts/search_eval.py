#!/usr/bin/env python3
"""Stock Sphinx search vs talkbook.search on the same book.

Builds the book twice with jupyter-book into a scratch dir:

* ``stock``: ``language: ko`` as configured, but ``talkbook_search_korean: false``
  (the extension then changes nothing: Sphinx indexes Korean as English and the
  theme's own searchtools.js is used);
* ``ours``: ``talkbook.search`` on.

Then serves each build on 127.0.0.1 (a local ``http.server`` thread), opens its
``search.html`` in headless Chromium (Playwright), runs every query of
``tests/search/queries.csv`` through the site's real search code
(``Search.performSearch``) and reads the ranked result links from the DOM.

Per query group it prints recall@5 (share of the expected pages found in the
first 5 distinct result pages) and MRR (1 / rank of the first expected page,
0 when it is not in the results), side by side for stock and ours, then the
size of ``searchindex.js`` (raw and gzip) and the build time of each build.

Usage::

    .venv/bin/python scripts/search_eval.py             # build both, evaluate
    .venv/bin/python scripts/search_eval.py --no-build  # reuse the builds in --out
    .venv/bin/python scripts/search_eval.py --json results.json --details

Exit status: 0, or 1 with ``--check`` when ours misses the targets
(recall@5 >= 0.98, MRR >= 0.9, index growth < +50%).
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
QUERIES = ROOT / "tests" / "search" / "queries.csv"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOP_K = 5
TARGETS = {"recall": 0.98, "mrr": 0.9, "growth": 0.5}
VARIANTS = ("stock", "ours")


# --------------------------------------------------------------------------- queries
@dataclass
class Query:
    group: str
    query: str
    expected: list[str]
    note: str = ""


def load_queries(path: Path = QUERIES) -> list[Query]:
    """Read queries.csv: group, query, expected (docnames split by ';'), note."""
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            expected = [d.strip() for d in row["expected"].split(";") if d.strip()]
            out.append(Query(row["group"].strip(), row["query"], expected, row.get("note", "")))
    return out


# --------------------------------------------------------------------------- build
def write_config(variant: str, dest: Path, source_config: Path = ROOT / "_config.yml") -> Path:
    """A copy of _config.yml for one variant (the book's config file is not touched)."""
    cfg = yaml.safe_load(source_config.read_text(encoding="utf-8"))
    sphinx = cfg.setdefault("sphinx", {})
    exts = list(sphinx.get("extra_extensions") or [])
    if "talkbook.search" not in exts:
        exts.append("talkbook.search")
    sphinx["extra_extensions"] = exts
    sphinx.setdefault("config", {})["talkbook_search_korean"] = variant == "ours"
    path = dest / f"_config.{variant}.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def build(variant: str, out: Path, source: Path = ROOT) -> float:
    """Build the book for *variant* into out/<variant>; return the build time (s)."""
    target = out / variant
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    config = write_config(variant, out)
    cmd = [
        str(ROOT / ".venv" / "bin" / "jupyter-book"), "build", str(source),
        "--config", str(config), "--path-output", str(target), "--all", "-q",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=source, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0 or not (html_dir(out, variant) / "searchindex.js").exists():
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"{variant} build failed ({proc.returncode})")
    return seconds


def html_dir(out: Path, variant: str) -> Path:
    return out / variant / "_build" / "html"


def index_sizes(html: Path) -> tuple[int, int]:
    raw = (html / "searchindex.js").read_bytes()
    return len(raw), len(gzip.compress(raw, compresslevel=9))


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


# Runs one query through the page's own search code and returns the ranked links.
_RUN_QUERY_JS = """
async (query) => {
  const out = document.getElementById("search-results");
  while (out.firstChild) out.removeChild(out.firstChild);
  Search.performSearch(query);
  const t0 = Date.now();
  // performSearch -> query -> _displayNextItem (one item per 5 ms) -> _finishSearch,
  // which fills the (new, empty) status line.  (Not _pulse_status: a pending pulse
  // timer of an earlier search can set it back to 0 after the search finished.)
  while (!(Search.status && Search.status.innerText)) {
    if (Date.now() - t0 > 20000) throw new Error("search did not finish: " + query);
    await new Promise((r) => setTimeout(r, 10));
  }
  return [...out.querySelectorAll("ul.search > li > a")].map((a) => a.getAttribute("href"));
}
"""


def href_to_docname(href: str) -> str:
    path = unquote(urlsplit(href).path)
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
    """search.html of one served build, ready to run queries."""

    def __init__(self, browser: object, base_url: str) -> None:
        self.page = browser.new_page()  # type: ignore[attr-defined]
        self.page.goto(base_url + "search.html")
        self.page.wait_for_function("() => typeof Search !== 'undefined' && Search.hasIndex()")

    def run(self, query: str) -> list[str]:
        return ranked_docnames(self.page.evaluate(_RUN_QUERY_JS, query))

    def close(self) -> None:
        self.page.close()


# --------------------------------------------------------------------------- metrics
@dataclass
class Outcome:
    query: Query
    ranked: list[str]
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


def evaluate(html: Path, queries: list[Query], browser: object) -> list[Outcome]:
    with serve(html) as url:
        page = SearchPage(browser, url)
        try:
            return [Outcome(q, page.run(q.query)) for q in queries]
        finally:
            page.close()


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.query.group].append(o)
    groups["ALL"] = list(outcomes)
    return {
        g: {
            "n": len(os_),
            "recall": sum(o.recall for o in os_) / len(os_),
            "mrr": sum(o.rr for o in os_) / len(os_),
        }
        for g, os_ in groups.items()
    }


# --------------------------------------------------------------------------- report
def report(results: dict[str, dict], details: bool) -> str:
    lines = []
    stock, ours = results["stock"], results["ours"]
    groups = list(ours["summary"])
    lines.append(
        f"{'group':<14}{'n':>4}  {'recall@5 stock':>14} {'ours':>6}  {'MRR stock':>10} {'ours':>6}"
    )
    for g in groups:
        s, o = stock["summary"][g], ours["summary"][g]
        if g == "ALL":
            lines.append("-" * 62)
        lines.append(
            f"{g:<14}{o['n']:>4}  {s['recall']:>14.3f} {o['recall']:>6.3f}"
            f"  {s['mrr']:>10.3f} {o['mrr']:>6.3f}"
        )
    lines.append("")
    lines.append(f"{'':<22}{'stock':>12} {'ours':>12} {'growth':>8}")
    for key, label in (("raw", "searchindex.js raw"), ("gzip", "searchindex.js gzip")):
        s, o = stock["index"][key], ours["index"][key]
        lines.append(f"{label:<22}{s:>12,} {o:>12,} {(o - s) / s:>+8.1%}")
    if stock.get("build_s") is not None:
        lines.append(
            f"{'build time (s)':<22}{stock['build_s']:>12.1f} {ours['build_s']:>12.1f}"
            f" {(ours['build_s'] - stock['build_s']) / stock['build_s']:>+8.1%}"
        )
    if details:
        lines.append("")
        for v in VARIANTS:
            for o in results[v]["outcomes"]:
                if o.recall < 1 or o.rr < 1:
                    lines.append(
                        f"[{v}] {o.query.group:<12} {o.query.query!r:<28} rr={o.rr:.2f}"
                        f" missing={o.missing} top={o.ranked[:TOP_K]}"
                    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "talkbook-search-eval",
                    help="scratch dir for the two builds (default: %(default)s)")
    ap.add_argument("--no-build", action="store_true", help="reuse the builds already in --out")
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--details", action="store_true", help="list every query not perfect")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--check", action="store_true", help="exit 1 when ours misses the targets")
    args = ap.parse_args(argv)

    queries = load_queries(args.queries)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    for variant in VARIANTS:
        build_s = None
        if not args.no_build:
            print(f"building {variant} ...", file=sys.stderr, flush=True)
            build_s = build(variant, args.out)
        raw, gz = index_sizes(html_dir(args.out, variant))
        results[variant] = {"build_s": build_s, "index": {"raw": raw, "gzip": gz}}
    with chromium() as browser:
        for variant in VARIANTS:
            outcomes = evaluate(html_dir(args.out, variant), queries, browser)
            results[variant]["outcomes"] = outcomes
            results[variant]["summary"] = summarise(outcomes)

    print(f"talkbook search eval: {len(queries)} queries, top {TOP_K}")
    print(report(results, args.details))

    if args.json:
        dump = {
            v: {k: val for k, val in r.items() if k != "outcomes"}
            | {"queries": [{"group": o.query.group, "query": o.query.query, "recall": o.recall,
                            "rr": o.rr, "top": o.ranked[:TOP_K]} for o in r["outcomes"]]}
            for v, r in results.items()
        }
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")

    ours, stock = results["ours"], results["stock"]
    growth = (ours["index"]["raw"] - stock["index"]["raw"]) / stock["index"]["raw"]
    ok = (ours["summary"]["ALL"]["recall"] >= TARGETS["recall"]
          and ours["summary"]["ALL"]["mrr"] >= TARGETS["mrr"] and growth < TARGETS["growth"])
    print(f"\ntargets (ours): recall@5 >= {TARGETS['recall']}, MRR >= {TARGETS['mrr']}, "
          f"index growth < +{TARGETS['growth']:.0%}: {'met' if ok else 'NOT met'}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
