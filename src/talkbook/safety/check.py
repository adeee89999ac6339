"""The safety rules as a plain function over a page's text, for ``talkbook check`` (no
build, no Sphinx): raw HTML, ``<meta>`` in front matter, directives that read files and
Markdown links/images to files outside the project. The build (``talkbook.safety``) enforces
the same rules on the parsed document; this gives the author the same messages in seconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from . import html as html_mod
from .paths import confine, scan_source

_RST_RAW_RE = re.compile(r"^(\s*)\.\.\s+raw::\s*html\s*$")
_RST_FILE_RE = re.compile(r"^\s*\.\.\s+(include|literalinclude)::\s*(\S.*?)\s*$")
_RAW_OPTION_RE = re.compile(r"^\s*:(file|url):\s*\S")
_DOWNLOAD_RE = re.compile(r"\{download\}`(?:[^`<]*<([^>`]+)>|([^`]+))`")
_md = MarkdownIt("commonmark", {"html": True}).use(front_matter_plugin).enable("table")


def page_problems(text: str, page: Path, root: Path) -> list[tuple[int, str]]:
    """(line, "problem (fix)") for every safety problem in the page ``text`` at ``page``."""
    problems: list[tuple[int, str]] = []

    def resolve(arg: str) -> str | None:
        arg = arg.strip()
        if html_mod.url_scheme(arg) is not None or arg.startswith("<"):
            return None
        base = root if arg.startswith("/") else page.parent
        return confine(base / arg.lstrip("/"), [root], shown=arg)

    _, found = scan_source(text, resolve)
    problems += found
    for number, line_text in enumerate(text.splitlines(), start=1):
        for m in _DOWNLOAD_RE.finditer(line_text):
            if why := resolve((m[1] or m[2]).strip()):
                problems.append((number, f"download: {why}"))
    for token in _md.parse(text):
        line = (token.map[0] + 1) if token.map else 1
        if token.type == "front_matter":
            problems += _front_matter(token.content)
        elif token.type == "html_block":
            problems += [(line, p) for p in html_mod.explain(token.content)]
        elif token.type == "fence":
            problems += _fence(token.info.strip(), token.content, line, resolve)
        elif token.type == "inline":
            offset = 0
            for child in token.children or []:
                if child.type in ("softbreak", "hardbreak"):
                    offset += 1
                elif child.type == "html_inline":
                    problems += [(line + offset, p) for p in html_mod.explain(child.content)]
                elif child.type in ("link_open", "image"):
                    attr = "href" if child.type == "link_open" else "src"
                    target = str(child.attrGet(attr) or "")
                    why = html_mod.url_problem(target) if target else None
                    if not why and target and html_mod.url_scheme(target) is None:
                        why = resolve(target.split("#")[0]) if target.split("#")[0] else None
                    if why:
                        problems.append((line + offset, why))
    return sorted(set(problems))


def _front_matter(content: str) -> list[tuple[int, str]]:
    try:
        data = yaml.safe_load(content) or {}
        meta = (data.get("myst") or {}).get("html_meta") or {}
    except (yaml.YAMLError, AttributeError):
        return []  # the front matter check reports broken YAML
    out = []
    for key in meta if isinstance(meta, dict) else []:
        attrs = {"name": ""}
        for i, part in enumerate(str(key).split()):
            if "=" not in part and i == 0:
                attrs["name"] = part
            elif "=" in part:
                name, value = part.split("=", 1)
                attrs[name.lower()] = value
        attrs["content"] = ""
        why = html_mod.meta_problem(attrs)
        if why:
            line = next((i + 2 for i, ln in enumerate(content.splitlines()) if str(key) in ln), 1)
            out.append((line, why))
    return out


def _fence(info: str, content: str, line: int, resolve) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    lines = content.splitlines()
    if info.startswith("{raw}") and "html" in info:
        for i, ln in enumerate(lines):
            if _RAW_OPTION_RE.match(ln):
                out.append(
                    (
                        line + 1 + i,
                        "raw: the :file:/:url: options are not allowed in notes "
                        "(write the content in the page; raw HTML is sanitized)",
                    )
                )
        body = "\n".join(ln for ln in lines if not ln.startswith(":"))
        out += [(line + 1, p) for p in html_mod.explain(body)]
    elif info.startswith("{eval-rst}"):
        i = 0
        while i < len(lines):
            m = _RST_RAW_RE.match(lines[i])
            f = _RST_FILE_RE.match(lines[i])
            if f and (why := resolve(f[2])):
                out.append((line + 1 + i, f"{f[1]}: {why}"))
            if m:
                start, i = i, i + 1
                block = []
                while i < len(lines) and (not lines[i].strip() or lines[i].startswith(m[1] + " ")):
                    block.append(lines[i])
                    i += 1
                out += [(line + 1 + start, p) for p in html_mod.explain("\n".join(block))]
                continue
            i += 1
    return out
