"""Contributor workflow files: the CI workflow, pre-commit, PR/issue templates, CONTRIBUTING.

Cheap static checks: the files parse, and every `make X` / `talkbook X` they tell people (or
CI) to run exists, so a renamed Makefile target or CLI command cannot silently break them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
MAKE_RE = re.compile(r"\bmake[ \t]+(?:-{1,2}[\w-]+[ \t]+)*(?P<target>[a-z][\w-]*)")
TALKBOOK_RE = re.compile(r"\btalkbook[ \t]+(?P<command>[a-z][\w-]*)")


def code_of(markdown: str) -> str:
    """The code in a markdown text: fenced blocks and inline code spans (commands live there)."""
    blocks = re.findall(r"(?ms)^\s*(`{3,}|~{3,}).*?\n(.*?)^\s*\1", markdown)
    spans = re.findall(r"`([^`\n]+)`", markdown)
    return "\n".join([*(b[1] for b in blocks), *spans])


def make_targets() -> set[str]:
    """Targets defined in the Makefile (rules, not variable assignments)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = {m[1] for m in re.finditer(r"(?m)^([A-Za-z0-9_.-]+)\s*:(?![=:])", text)}
    return targets - {".PHONY"}


def load_workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as the boolean true
        data["on"] = data.pop(True)
    return data


def run_lines(workflow: dict) -> list[str]:
    return [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_workflow_parses_and_has_both_triggers():
    wf = load_workflow()
    assert "pull_request" in wf["on"]
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["jobs"]


def test_every_make_target_in_the_workflow_exists():
    targets = make_targets()
    called = [m["target"] for line in run_lines(load_workflow()) for m in MAKE_RE.finditer(line)]
    assert called, "the workflow runs no make target"
    missing = sorted(set(called) - targets)
    assert not missing, (
        f"the workflow runs make targets the Makefile lacks: {missing} (has {sorted(targets)})"
    )


def test_pull_requests_run_the_readme_test_command_and_upload_a_preview():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"(?m)^make test\b", readme), "README no longer documents `make test`"
    wf = load_workflow()
    job = next(j for j in wf["jobs"].values() if "== 'pull_request'" in j.get("if", ""))
    runs = [s.get("run", "") for s in job["steps"]]
    assert any(re.fullmatch(r"make test\s*", r) for r in runs)
    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload["with"]["path"] == "_build/html"


def test_main_builds_and_deploys_to_pages():
    wf = load_workflow()
    jobs = wf["jobs"]
    build = next(j for j in jobs.values() if "actions/upload-pages-artifact" in uses(j))
    assert "refs/heads/main" in build["if"]
    assert any(re.fullmatch(r"make build\s*", s.get("run", "")) for s in build["steps"])
    pages_step = next(
        s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    )
    assert pages_step["with"]["path"] == "_build/html"
    deploy = next(j for j in jobs.values() if "actions/deploy-pages" in uses(j))
    build_name = next(name for name, j in jobs.items() if j is build)
    assert deploy["needs"] == build_name or build_name in deploy["needs"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def test_actions_are_pinned_to_a_version():
    for job in load_workflow()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.search(r"@v\d+|@[0-9a-f]{40}$", step["uses"]), step["uses"]


def test_pre_commit_config():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    repos = {r["repo"]: r for r in config["repos"]}
    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    assert {h["id"] for h in ruff["hooks"]} >= {"ruff-check", "ruff-format"}
    pinned = re.search(
        r"(?m)^ruff==(\S+)$", (ROOT / "requirements.txt").read_text(encoding="utf-8")
    )
    assert pinned and ruff["rev"] == f"v{pinned[1]}", (
        "pre-commit's ruff must match requirements.txt"
    )
    hooks = repos["https://github.com/pre-commit/pre-commit-hooks"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", hooks["rev"])
    assert "check-yaml" in {h["id"] for h in hooks["hooks"]}
    local = [h for r in config["repos"] if r["repo"] == "local" for h in r["hooks"]]
    check = next(h for h in local if h["id"] == "talkbook-check")
    assert check["pass_filenames"] is False
    target = MAKE_RE.search(check["entry"])
    assert target and target["target"] in make_targets()


def test_templates_parse():
    form = yaml.safe_load(
        (ROOT / ".github/ISSUE_TEMPLATE/new-talk-note.yml").read_text(encoding="utf-8")
    )
    assert form["name"] and form["description"] and form["body"]
    ids = [item["id"] for item in form["body"] if "id" in item]
    assert len(ids) == len(set(ids))
    for item in form["body"]:
        assert item["type"] in {"markdown", "input", "textarea", "dropdown", "checkboxes"}
    pr = (ROOT / ".github/pull_request_template.md").read_text(encoding="utf-8")
    assert pr.count("- [ ]") >= 5
    assert "talkbook check" in pr and "make test" in pr


@pytest.mark.parametrize("name", ["CONTRIBUTING.md", ".github/pull_request_template.md"])
def test_documented_commands_exist(name):
    """Every `make X` and `talkbook X` the contributor docs mention is real."""
    from talkbook.cli import main

    text = code_of((ROOT / name).read_text(encoding="utf-8"))
    made = {m["target"] for m in MAKE_RE.finditer(text)}
    assert not made - make_targets(), (
        f"{name} mentions unknown make targets {sorted(made - make_targets())}"
    )
    commands = {m["command"] for m in TALKBOOK_RE.finditer(text)}
    assert made and commands
    assert not commands - set(main.commands), (
        f"{name} mentions unknown commands {sorted(commands - set(main.commands))}"
    )


def test_contributing_is_korean_first_with_an_english_summary():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert re.search(r"[가-힣]", first)
    english = text.index("## Contributing (English summary)")
    assert english > len(text) // 2
    for step in (
        "fork",
        "make serve",
        "talkbook new",
        "talkbook check",
        "make test",
        "make lab",
        "add-talk",
        "talkbook fmt",
    ):
        assert step in text, step
