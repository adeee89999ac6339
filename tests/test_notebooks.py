"""Execute the demo notebooks (book/demos/*.md, MyST text notebooks) and check their results.

Each notebook runs once per test session in a fresh python3 kernel, from its own folder (as
the book build runs it). Glued values are read back from the executed outputs: myst-nb's
``glue`` writes a display_data output whose metadata is {"scrapbook": {"name": ...}}.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pd = pytest.importorskip("pandas")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ROOT / "book" / "demos"
DATA = ROOT / "data"
NOTES = ROOT / "book" / "notes"
TIME_BUDGET_S = 120  # per notebook, wall clock, kernel start included
CELL_TIMEOUT_S = 120  # as in the book's execution settings

DEMO_NAMES = [
    "python-profiling",
    "amdahl",
    "catalog-in-numbers",
    "kafka-partition-assignment",
    "hbase-read-amplification",
]


class Executed:
    def __init__(self, nb, seconds: float):
        self.nb = nb
        self.seconds = seconds
        self.glue = read_glue(nb)

    def outputs(self):
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                yield from cell.get("outputs", [])


def read_glue(nb) -> dict[str, dict]:
    """Glue name -> mime bundle (with the hidden-display prefix stripped)."""
    found: dict[str, dict] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if out.get("output_type") != "display_data" or not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            found[meta["name"]] = {
                k[len(prefix) :] if k.startswith(prefix) else k: v
                for k, v in out.get("data", {}).items()
            }
    return found


def value(run: Executed, name: str):
    """The Python value of a glued text/plain (numbers and strings are literals)."""
    assert name in run.glue, f"glue {name!r} missing; have {sorted(run.glue)}"
    text = run.glue[name]["text/plain"]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


_cache: dict[str, Executed] = {}


def execute(name: str) -> Executed:
    if name not in _cache:
        path = DEMOS / f"{name}.md"
        nb = jupytext.read(path)
        start = time.perf_counter()
        client = nbclient.NotebookClient(
            nb,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            allow_errors=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
        _cache[name] = Executed(nb, time.perf_counter() - start)
    return _cache[name]


@pytest.fixture(scope="module", params=DEMO_NAMES)
def demo(request):
    return request.param, execute(request.param)


# --- every notebook -------------------------------------------------------------------------


def front_matter(name: str) -> dict:
    text = (DEMOS / f"{name}.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.mark.parametrize("name", DEMO_NAMES)
def test_front_matter(name):
    meta = front_matter(name)
    assert meta["jupytext"]["text_representation"]["format_name"] == "myst"
    assert meta["kernelspec"]["name"] == "python3"
    tb = meta["talkbook"]
    assert tb["kind"] == "demo"
    assert tb["language"] == "ko"
    assert tb["tags"] and tb["description"]
    assert tb["talks"] == []
    tag_ids = set(pd.read_csv(DATA / "tags.csv", keep_default_na=False)["id"])
    assert set(tb["tags"]) <= tag_ids


def test_executes_within_budget(demo):
    name, run = demo
    assert run.seconds < TIME_BUDGET_S, f"{name} took {run.seconds:.1f} s"
    errors = [o for o in run.outputs() if o.get("output_type") == "error"]
    assert not errors
    # every glue key the prose pastes must exist in the executed notebook
    text = (DEMOS / f"{name}.md").read_text(encoding="utf-8")
    used = {m.split(":")[0] for m in re.findall(r"\{glue(?::\w+)?\}`([^`]+)`", text)}
    assert used, f"{name} pastes no glued value"
    assert used <= set(run.glue), f"missing glue keys: {sorted(used - set(run.glue))}"


def test_figures_are_rendered(demo):
    name, run = demo
    pngs = [o for o in run.outputs() if "image/png" in o.get("data", {})]
    assert pngs, f"{name} shows no plot"


def test_no_stderr_noise(demo):
    """Warnings (e.g. missing glyphs, deprecations) would show up as stderr in the page."""
    name, run = demo
    stderr = [
        o["text"]
        for o in run.outputs()
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert not stderr, stderr


# --- python-profiling -----------------------------------------------------------------------


def test_profiler_names_the_hot_spot():
    run = execute("python-profiling")
    assert value(run, "hot_function") == "dedupe_list"
    assert value(run, "hot_share") > 0.5
    assert value(run, "lp_pipeline_line") == "uniq = dedupe_list(ids)"
    assert value(run, "lp_dedupe_line") == "if x not in seen:"


def test_set_beats_list_at_ten_thousand():
    run = execute("python-profiling")
    assert value(run, "dedupe_set_ms_1e4") < value(run, "dedupe_list_ms_1e4")
    assert value(run, "dedupe_speedup_1e4") > 10
    # the gap widens with n: quadratic vs linear
    assert value(run, "dedupe_speedup_1e4") > value(run, "dedupe_speedup_1e2")


def test_join_and_numpy_crossover():
    run = execute("python-profiling")
    assert value(run, "attr_vs_join") > 1
    assert value(run, "attr_slope") > value(run, "join_slope")
    # NumPy loses on a one-element input and wins on the largest one
    assert value(run, "np_tiny_ratio") > 1
    assert value(run, "np_large_speedup") > 1
    assert 1 < value(run, "np_cross_array") <= value(run, "np_large_n")
    assert value(run, "pipeline_speedup") > 1


# --- amdahl ---------------------------------------------------------------------------------


def test_implied_parallel_fraction():
    run = execute("amdahl")
    assert value(run, "s_inf_claim") == pytest.approx(1.2)
    assert value(run, "p_implied") == pytest.approx(1 - 1 / 1.2)
    # S(n) for that p never exceeds 1.2 and approaches it
    assert value(run, "s_implied_1024") < 1.2
    p = 1 - 1 / 1.2
    assert value(run, "s_implied_1024") == pytest.approx(1 / ((1 - p) + p / 1024))


# --- catalog-in-numbers ---------------------------------------------------------------------


def _csv(name: str):
    return pd.read_csv(DATA / f"{name}.csv", keep_default_na=False, dtype=str)


def _note_talks() -> dict[str, list[str]]:
    result = {}
    for note in sorted(NOTES.glob("*.md")):
        text = note.read_text(encoding="utf-8")
        if not text.startswith("---\n"):
            continue
        meta = yaml.safe_load(text.split("---\n", 2)[1]) or {}
        result[note.stem] = list((meta.get("talkbook") or {}).get("talks") or [])
    return result


def test_catalog_counts_match_csv():
    run = execute("catalog-in-numbers")
    talks = _csv("talks")
    conferences = _csv("conferences")
    assert value(run, "n_talks") == len(talks)
    assert value(run, "n_conferences") == len(conferences)
    per_conf = talks["conference"].value_counts()
    assert per_conf[value(run, "top_conference")] == per_conf.max()
    assert value(run, "top_conference_talks") == per_conf.max()
    tags = talks["tags"].str.split(";").explode().str.strip()
    tags = tags[tags != ""]
    assert value(run, "n_tag_uses") == len(tags)
    assert value(run, "n_tags_used") == tags.nunique()
    assert value(run, "top_tag_count") == tags.value_counts().max()
    notes = _note_talks()
    covered = pd.Series([t for ids in notes.values() for t in set(ids)], dtype=str).value_counts()
    assert value(run, "n_notes") == len(notes)
    assert value(run, "n_covered") == int(talks["id"].isin(covered.index).sum())
    assert value(run, "n_multi") == int((covered.reindex(talks["id"]).fillna(0) >= 2).sum())


def test_catalog_table_is_offline():
    """itables runs offline: its bundle is inlined and no script is loaded from the network."""
    run = execute("catalog-in-numbers")
    html = "".join(o.get("data", {}).get("text/html", "") for o in run.outputs())
    assert "talkbook-catalog-talks" in html  # the interactive table
    assert "window._itables_" in html  # offline mode: the library comes from the init cell
    remote = re.findall(r"""(?:src=|from\s+|import\s*\(\s*)["']https?://""", html)
    assert not remote, remote


# --- kafka-partition-assignment -------------------------------------------------------------


def test_sticky_moves_fewer_partitions_on_leave():
    run = execute("kafka-partition-assignment")
    sticky = value(run, "leave_moves_sticky")
    assert sticky < value(run, "leave_moves_range")
    assert sticky < value(run, "leave_moves_roundrobin")
    # sticky moves only what the leaver owned, in every leave case
    assert sticky == value(run, "leave_orphaned")
    assert value(run, "leave_excess_mean_sticky") == 0
    assert value(run, "leave_mean_sticky") < value(run, "leave_mean_range")
    assert value(run, "leave_mean_sticky") < value(run, "leave_mean_roundrobin")
    assert value(run, "join_moves_sticky") <= value(run, "join_moves_range")
    assert value(run, "join_moves_sticky") <= value(run, "join_moves_roundrobin")


# --- hbase-read-amplification ---------------------------------------------------------------


def test_bloom_filter_reduces_files_touched():
    run = execute("hbase-read-amplification")
    assert value(run, "files_bloom") < value(run, "files_no_bloom")
    assert value(run, "amp_bloom") < value(run, "amp_no_bloom")
    # bigger blocks, more bytes read per requested byte
    assert value(run, "amp_no_bloom_max_block") > value(run, "amp_no_bloom_min_block")
