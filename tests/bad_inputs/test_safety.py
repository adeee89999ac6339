"""talkbook.safety on one small book holding every case of safety_cases.yaml, built once
(about 25 s): the strict build fails with each case's message, the dangerous markup and the
host's files appear nowhere in the output, and Chromium opening the pages sees no dialog and
no request to another host. Then one catalog edit and an incremental build: the notebook that
reads data/tags.csv shows the new count.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from bad_input_harness import missing_messages, run_build
from safety_tree import (
    CANARY,
    build_env,
    expand,
    load_safety_cases,
    make_safety_tree,
)

from talkbook.safety import html as safe_html
from talkbook.safety import paths as safe_paths

CASES = load_safety_cases()
BROWSER_CASES = [c for c in CASES if c.get("browser")]


def _build(root: Path, out: Path) -> tuple[int, str, float]:
    """The harness's strict build, with the environment the safety cases expect."""
    result = run_build(root, out, env=build_env(out))
    return result.exit_code, result.output, result.seconds


@pytest.fixture(scope="module")
def safety_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("safety")
    root = make_safety_tree(base / "src", CASES)
    code, output, seconds = _build(root, base / "out")
    return {
        "root": root,
        "out": base / "out" / "_build",
        "code": code,
        "output": output,
        "seconds": seconds,
    }


def ids(cases):
    return [c["id"] for c in cases]


# ---------------------------------------------------------------------------- sanitizer


@pytest.mark.parametrize(
    "fragment, problem",
    [
        ("<script>alert(1)</script>", "raw HTML <script> is not allowed"),
        ('<a href="jav&#x61;script:alert(1)">x</a>', "javascript: URL is not allowed"),
        ('<a href=" java\tscript:x">y</a>', "javascript: URL is not allowed"),
        ("<!--><img src=x onerror=alert(1)>-->", "event handler attribute onerror="),
        ('<iframe srcdoc="&lt;img src=x onerror=alert(1)&gt;"></iframe>', "<iframe>"),
        ('<object data="data:text/html,x"></object>', "<object>"),
        ('<base href="https://a.example/">', "<base>"),
        ('<meta http-equiv="refresh" content="0;url=https://a.example/">', "<meta>"),
        ('<p style="background:url(https://a.example/x)">x</p>', "loads or escapes something"),
        ('<p style="position:fixed;top:0">x</p>', "style property position: on <p>"),
        ('<p style="position:fixed;top:0">x</p>', "style property position: on <p>"),
        ('<img src="//a.example/x.png" alt="x">', "loads a file from another site"),
        ('<a href="data:text/html,hi">d</a>', "data: URL is not allowed"),
        ("<math><mi xlink:href=javascript:alert(1)>x</mi></math>", "<math>"),
    ],
)
def test_sanitizer_drops_and_explains(fragment, problem):
    cleaned = safe_html.sanitize(fragment)
    assert any(problem in p for p in cleaned.problems), cleaned.problems
    low = cleaned.html.lower()
    for bad in (
        "<script",
        "onerror",
        "javascript:",
        "<iframe",
        "<object",
        "<base",
        "<meta",
        "url(",
        "position",
        "a.example/x.png",
        "data:",
        "<math",
    ):
        assert bad not in low, cleaned.html


@pytest.mark.parametrize(
    "fragment",
    [
        '<a class="reference internal" href="../conferences/deview-2017.html">',
        "</a>",
        '<div class="note">',
        '<img src="../images/pixel.png" alt="점" width="10">',
        '<a href="https://example.com/">링크</a>',
        "<table><tr><th>a</th><td>1</td></tr></table>",
        "<details><summary>더 보기</summary><p>내용</p></details>",
    ],
)
def test_sanitizer_keeps_allowed_html(fragment):
    cleaned = safe_html.sanitize(fragment)
    assert cleaned.problems == []
    # attributes and elements survive (nh3 may add an implied <tbody>)
    for part in re.findall(r'(\w+="[^"]*")', fragment):
        assert part in cleaned.html, cleaned.html


def test_confine(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.txt").write_text("a")
    (tmp_path / "book" / "out.txt").symlink_to("/etc/passwd")
    roots = [tmp_path]
    assert safe_paths.confine(tmp_path / "book" / "a.txt", roots) is None
    assert "outside the repository" in safe_paths.confine(tmp_path / "book/../../x", roots)
    assert "outside the repository" in safe_paths.confine(tmp_path / "book" / "out.txt", roots)
    assert "hidden folder" in safe_paths.confine(tmp_path / ".git" / "config", roots)


# ---------------------------------------------------------------------------- the build


def test_cases_are_well_formed():
    assert len(set(ids(CASES))) == len(CASES)
    for case in CASES:
        assert case.get("what") and case.get("files"), case["id"]


def test_build_fails(safety_build):
    assert safety_build["code"] != 0, safety_build["output"][-3000:]
    assert (
        "Traceback (most recent call last)"
        not in safety_build["output"].split("traceback saved in")[0]
    )


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_build_message(case, safety_build):
    missing = missing_messages(case["build"], safety_build["output"])
    assert not missing, f"missing {missing} in:\n" + "\n".join(
        line for line in safety_build["output"].splitlines() if case["id"] in line
    )


FORBIDDEN_CASES = [c for c in CASES if c.get("forbidden")]


@pytest.mark.parametrize("case", FORBIDDEN_CASES, ids=ids(FORBIDDEN_CASES))
def test_page_has_no_forbidden_markup(case, safety_build):
    page = safety_build["out"] / "html" / "book" / "notes" / f"{case['id']}.html"
    text = page.read_text(encoding="utf-8")
    for bad in case["forbidden"]:
        assert expand(bad) not in text, f"{bad!r} in {page.name}"


def test_host_files_appear_nowhere_in_build(safety_build):
    """/etc/passwd, /etc/hostname, the process environment and .git/config: not in any file
    of the build (HTML, downloads, images, doctrees, search index, notebook cache)."""
    passwd = Path("/etc/passwd").read_bytes().splitlines()[0]
    hostname = Path("/etc/hostname").read_bytes() if Path("/etc/hostname").exists() else None
    for path in safety_build["out"].rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        assert passwd not in data, path
        assert CANARY.encode() not in data, path
        if hostname and len(data) == len(hostname):
            assert data != hostname, path


def test_build_left_no_process(safety_build):
    import psutil

    m = re.search(r"running after its kernel stopped: (\d+) ", safety_build["output"])
    assert m, "the leftover process was not reported"
    assert not psutil.pid_exists(int(m[1])) or psutil.Process(int(m[1])).status() == "zombie"


# ---------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def served_safety(safety_build):
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(safety_build["out"] / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.browser
@pytest.mark.parametrize("case", BROWSER_CASES, ids=ids(BROWSER_CASES))
def test_page_runs_no_script_in_browser(case, served_safety, page):
    dialogs, foreign = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    host = served_safety.split("//", 1)[1]
    page.on(
        "request",
        lambda r: (
            None
            if host in r.url.split("/")[2:3] or r.url.startswith(("data:", "blob:", "about:"))
            else foreign.append(r.url)
        ),
    )
    page.goto(f"{served_safety}/book/notes/{case['id']}.html", wait_until="load")
    page.wait_for_timeout(300)
    assert page.url.startswith(f"{served_safety}/book/notes/{case['id']}.html"), page.url
    assert not dialogs, dialogs
    assert not [u for u in foreign if "attacker.example" in u or not u.startswith("https://")], (
        foreign
    )
    bad = page.evaluate(
        """() => {
        const art = document.querySelector('article.bd-article') || document.body;
        const out = [];
        for (const el of art.querySelectorAll('*')) {
          for (const a of el.attributes) {
            if (a.name.startsWith('on')) out.push(el.tagName + ' ' + a.name);
            if (/^\\s*(javascript|data):/i.test(a.value) && ['href','src','data','action'].includes(a.name))
              out.push(el.tagName + ' ' + a.name + '=' + a.value);
          }
        }
        for (const el of document.querySelectorAll('iframe, object, embed, base, article form, article svg script, meta[http-equiv]'))
          out.push(el.outerHTML.slice(0, 80));
        return out;
      }"""
    )
    if case["id"] == "nb-trusted-js":
        assert page.evaluate("() => document.getElementById('trusted-output').dataset.ran") == "yes"
    else:
        assert not bad, bad


# ---------------------------------------------------------------------------- data reads


def test_notebook_reads_catalog_again_when_it_changes(safety_build):
    root, out = safety_build["root"], safety_build["out"]
    page = out / "html" / "book" / "notes" / "nb-reads-data.html"
    before = int(re.search(r"tags: (\d+)", page.read_text(encoding="utf-8"))[1])
    tags = root / "data" / "tags.csv"
    time.sleep(0.05)
    rows = tags.read_text(encoding="utf-8").rstrip("\n").split("\n")
    rows.append("zz-safety-test,안전 시험,Safety test,시험용 태그")
    tags.write_text("\n".join(rows) + "\n", encoding="utf-8")
    os.utime(tags)
    _build(root, out.parent)
    after = int(re.search(r"tags: (\d+)", page.read_text(encoding="utf-8"))[1])
    assert after == before + 1, "the notebook's output is stale"


def test_no_svg_or_planted_page_published(safety_build):
    html = safety_build["out"] / "html"
    assert not (html / "planted.html").exists(), "the page a notebook planted was published"
    for svg in html.rglob("*.svg"):
        if "_static" in svg.parts:
            continue
        assert b"onload" not in svg.read_bytes(), svg
    assert not list(html.glob("_downloads/*/payload.html"))
    assert not list(html.glob("_images/payload*"))
    widgets = (html / "book" / "nb-widgets.html").read_text(encoding="utf-8")
    assert "widget-state+json" not in widgets and "html-manager" not in widgets


# ---------------------------------------------------------------------------- talkbook check


def test_page_problems_finds_what_the_build_refuses(tmp_path):
    """The plain function `talkbook check` can call: same rules, same lines, no build."""
    from safety_tree import SAFETY_FILES

    from talkbook.safety.check import page_problems

    root = tmp_path
    (root / "book" / "notes").mkdir(parents=True)
    found = {}
    for case in CASES:
        for target, source in case["files"].items():
            if target.endswith(".md"):
                page = root / target
                page.write_text((SAFETY_FILES / source).read_text(encoding="utf-8"))
                found[case["id"]] = page_problems(page.read_text(encoding="utf-8"), page, root)
    expect = {
        "iframe-srcdoc": (10, "raw HTML <iframe>"),
        "entity-javascript": (12, "javascript: URL"),
        "comment-trick": (10, "onerror="),
        "eval-rst-raw": (11, "raw HTML <script>"),
        "raw-file": (11, "raw: the :file:/:url: options"),
        "base-href": (10, "raw HTML <base>"),
        "front-matter-meta": (4, "<meta http-equiv=…>"),
        "literalinclude-passwd": (10, "points outside the repository"),
        "download-outside": (10, "download: "),
        "include-outside": (15, "points outside the repository"),
        "image-outside": (10, "points outside the repository"),
        "nb-load-outside": (19, "code-cell :load:"),
    }
    for case_id, (line, text) in expect.items():
        assert any(n == line and text in p for n, p in found[case_id]), (case_id, found[case_id])
    assert found["nb-trusted-js"] == [] and found["nb-reads-data"] == []


def test_page_problems_pass_the_real_book():
    from talkbook.safety.check import page_problems

    repo = Path(__file__).resolve().parents[2]
    problems = [
        (page, n, p)
        for page in sorted((repo / "book").rglob("*.md"))
        for n, p in page_problems(page.read_text(encoding="utf-8"), page, repo)
    ]
    assert problems == []
