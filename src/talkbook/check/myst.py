"""MyST pages read the way the build reads them: markdown-it-py configured by myst-parser.

:func:`md_config` turns the book's Jupyter Book configuration into myst-parser's
:class:`~myst_parser.config.main.MdParserConfig` (the same values Sphinx receives), and
:func:`read` walks the token stream of one page into a :class:`MystDoc`: headings (with the
slugs myst-parser gives them), roles, directives, links, images, raw HTML, labels and
glossary terms, each with its line in the file. markdown-it-py runs in linear time, so a
hostile page (a megabyte of backticks) costs what its size costs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from myst_parser.config.main import MdParserConfig
from myst_parser.mdit_to_docutils.base import compute_unique_slug
from myst_parser.parsers.mdit import create_md_parser

# Directives whose content is not MyST markdown (roles, images and labels inside are text).
LITERAL_DIRECTIVES = {
    "code",
    "code-block",
    "sourcecode",
    "code-cell",
    "literalinclude",
    "include",
    "math",
    "mermaid",
    "csv-table",
    "graphviz",
    "eval-rst",
    "eval-md",
    "prompt",
    "parsed-literal",
    "toctree",
    "glossary",
    "raw",
    "list-table",  # its body is markdown, but headings cannot occur; walked below anyway
}
# Directives whose body is parsed as markdown although listed above.
MARKDOWN_BODY = {"list-table"}
#: markdown-it-py's inline parser is quadratic on some floods within one paragraph (each
#: unclosed ``[`` scans to the paragraph's end; same upstream as markdown-it #732-#734), so a
#: paragraph over these bounds is refused before its inline content is parsed. The book's
#: longest paragraph is under 1,000 characters with no unclosed bracket.
MAX_INLINE_CHARS = 20_000
MAX_UNCLOSED = 32
MARKUP_RE = re.compile(r"[\[\]()<>*_`\\!{}~$|]")
MAX_MARKUP = 1_000  # markup characters in one paragraph (the book's most: 61)
#: page budget for sum(markup x length) over paragraphs, per character of the page
MARKUP_COST_PER_CHAR = 20
MARKUP_COST_BASE = 2_000_000
MAX_DEPTH = 12  # nested directive bodies parsed at most this deep (docutils nests less)
#: a nested body is parsed again; all parses of a page stay within this multiple of its size
REPARSE_FACTOR = 2
OPTION_RE = re.compile(r"^:(?P<key>[\w-]+):(?:\s+(?P<value>.*))?$")
YAML_OPTION_RE = re.compile(r"^(?P<key>[\w-]+):\s*(?P<value>.*)$")
SOURCE_RE = re.compile(r'"source"\s*:\s*(?P<list>\[)?(?P<nl>[ \t]*\n)?')
DIRECTIVE_INFO_RE = re.compile(r"^\{(?P<name>[^{}\s]+)\}\s*(?P<arg>.*?)\s*$", re.S)


@dataclass
class Heading:
    level: int
    line: int
    text: str
    slug: str | None  # myst-parser's anchor (None above myst_heading_anchors)


@dataclass
class Role:
    name: str
    content: str
    line: int


@dataclass
class Directive:
    name: str
    arg: str
    line: int
    options: dict[str, tuple[str, int]] = field(default_factory=dict)
    body: str = ""
    body_line: int = 0  # line of the first body line (after the options)


@dataclass
class Link:
    href: str
    line: int
    auto: bool  # <autolink> or linkify


@dataclass
class Image:
    src: str
    alt: str
    line: int
    how: str  # "md", "html" or the directive name


@dataclass
class Html:
    text: str
    line: int


@dataclass
class MystDoc:
    """What one page holds, in document order."""

    headings: list[Heading] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    html: list[Html] = field(default_factory=list)
    labels: list[tuple[str, int]] = field(default_factory=list)  # (label)= and :name:
    terms: list[tuple[str, int]] = field(default_factory=list)  # glossary entries
    slugs: dict[str, Any] = field(default_factory=dict)  # myst-parser's slug table
    hazards: list[tuple[int, str]] = field(default_factory=list)  # (line, why) not parsed
    inline_texts: list[tuple[str, int]] = field(default_factory=list)  # text outside code
    parse_budget: int = 0  # characters left to parse (nested bodies are parsed again)
    text_blocks: int = 0  # paragraphs, lists, code: anything but headings and comments


# --------------------------------------------------------------------------- configuration


def md_config(root: Path) -> MdParserConfig:
    """The MyST configuration the book's build uses, from ``_config.yml`` via Jupyter Book's
    own translation (so keys Jupyter Book ignores are ignored here too)."""
    values = myst_values(root)
    known = {name for name, _, _ in MdParserConfig().as_triple()}
    kwargs = {k: v for k, v in values.items() if k in known}
    if "enable_extensions" in kwargs:
        kwargs["enable_extensions"] = set(kwargs["enable_extensions"])
    try:
        return MdParserConfig(**kwargs)
    except (TypeError, ValueError):
        return MdParserConfig()  # the build reports an invalid myst setting itself


def myst_values(root: Path) -> dict[str, Any]:
    """``myst_*`` Sphinx settings of the book (without the prefix)."""
    config_path = root / "_config.yml"
    if not config_path.is_file():
        return {}
    try:
        from jupyter_book.config import get_final_config

        sphinx_config, _ = get_final_config(
            user_yaml=config_path,
            sourcedir=root,
            cli_config={"latex_individualpages": False},
            validate=False,
        )
    except Exception:  # noqa: BLE001  (a broken _config.yml is reported by its own check)
        return {}
    return {k[5:]: v for k, v in sphinx_config.items() if k.startswith("myst_")}


def parser(config: MdParserConfig) -> MarkdownIt:
    return create_md_parser(config, RendererHTML)


# --------------------------------------------------------------------------- reading


def read(md: MarkdownIt, text: str, line_offset: int = 0, doc: MystDoc | None = None) -> MystDoc:
    """Walk the tokens of ``text``; lines are shifted by ``line_offset`` (for notebook cells).

    Passing the same ``doc`` for several texts (notebook cells) collects them as one page, as
    myst-nb renders them. A text with a paragraph over the inline bounds is not parsed; its
    :attr:`MystDoc.hazards` say where.
    """
    doc = doc if doc is not None else MystDoc()
    anchors = md.options["myst_config"].heading_anchors
    # the text itself and its nested directive bodies: a bounded multiple of its size
    doc.parse_budget = REPARSE_FACTOR * len(text) + 100_000
    tokens = safe_parse(md, text, line_offset, doc)
    _walk(md, tokens, line_offset, doc, anchors, depth=0)
    return doc


_BLOCK_PARSERS: dict[int, tuple[MarkdownIt, MarkdownIt]] = {}


def _block_parser(md: MarkdownIt) -> MarkdownIt:
    """The same parser without the inline phase (linear: block structure only)."""
    cached = _BLOCK_PARSERS.get(id(md))
    if cached is None or cached[0] is not md:
        block = parser(md.options["myst_config"])
        block.disable([r for r in ("inline", "linkify", "text_join") if r in _core_rules(block)])
        cached = _BLOCK_PARSERS[id(md)] = (md, block)
    return cached[1]


def _core_rules(md: MarkdownIt) -> list[str]:
    return md.core.ruler.get_all_rules()


def hazards(md: MarkdownIt, text: str, line_offset: int = 0) -> list[tuple[int, str]]:
    """Paragraphs (inline runs) too large or too markup-heavy to parse in linear time.

    The inline parser's worst cases cost (markup characters) x (paragraph length); bounding
    that sum by a multiple of the page size keeps a page's parse linear in its size.
    """
    out = []
    budget = MARKUP_COST_PER_CHAR * len(text) + MARKUP_COST_BASE
    for token in _block_parser(md).parse(text):
        if token.type != "inline":
            continue
        line = (token.map[0] + 1 if token.map else 1) + line_offset
        content = token.content
        if len(content) > MAX_INLINE_CHARS:
            out.append(
                (line, f"paragraph of {len(content):,} characters (limit {MAX_INLINE_CHARS:,})")
            )
            continue
        markup = len(MARKUP_RE.findall(content))
        unclosed = _unclosed_brackets(content)
        budget -= markup * len(content)
        if unclosed > MAX_UNCLOSED:
            out.append((line, f"paragraph with {unclosed} unclosed '[' (limit {MAX_UNCLOSED})"))
        elif markup > MAX_MARKUP:
            out.append(
                (line, f"paragraph with {markup:,} markup characters (limit {MAX_MARKUP:,})")
            )
        elif budget < 0:
            out.append((line, "page with too much markup in long paragraphs"))
            break
    return out


def _unclosed_brackets(text: str) -> int:
    """``[`` never closed by a later ``]`` (nesting counted), in one pass."""
    depth = unclosed = 0
    for char in re.findall(r"\\.|[\[\]]", text):
        if char == "[":
            depth += 1
        elif char == "]":
            if depth:
                depth -= 1
    unclosed += depth
    return unclosed


def safe_parse(md: MarkdownIt, text: str, line_offset: int, doc: MystDoc) -> list[Token]:
    if len(text) > doc.parse_budget:
        doc.hazards.append((line_offset + 1, "directives nested too deep"))
        return []
    doc.parse_budget -= len(text)
    found = hazards(md, text, line_offset)
    if found:
        doc.hazards += found
        return []
    return md.parse(text)


def _walk(
    md: MarkdownIt, tokens: list[Token], offset: int, doc: MystDoc, anchors: int, depth: int
) -> None:
    for i, token in enumerate(tokens):
        line = (token.map[0] + 1 + offset) if token.map else offset + 1
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
            inline = tokens[i + 1]
            title = "".join(
                c.content for c in inline.children or [] if c.type in ("text", "code_inline")
            )
            slug = None
            if depth == 0 and level <= anchors:
                tree = SyntaxTreeNode(tokens[i : i + 3]).children[0]
                slug = compute_unique_slug(tree, doc.slugs)
                doc.slugs[slug] = line
            if depth == 0:
                doc.headings.append(Heading(level, line, title, slug))
        elif kind == "inline":
            _inline(md, token, line, doc)
        elif kind == "myst_target":
            doc.labels.append((token.content.strip(), line))
        elif kind in ("fence", "colon_fence"):
            doc.text_blocks += 1
            _fence(md, token, line, doc, anchors, depth)
        elif kind == "html_block":
            if not token.content.lstrip().startswith("<!--"):
                doc.text_blocks += 1
            doc.html.append(Html(token.content, line))
        elif kind in ("paragraph_open", "code_block", "math_block", "math_block_label", "hr"):
            doc.text_blocks += 1
        elif kind in ("table_open", "bullet_list_open", "ordered_list_open", "dl_open"):
            doc.text_blocks += 1


def _inline(md: MarkdownIt, token: Token, line: int, doc: MystDoc) -> None:
    children = token.children or []
    doc.inline_texts.append(("".join(c.content for c in children if c.type == "text"), line))
    for child in children:
        kind = child.type
        if kind in ("softbreak", "hardbreak"):
            line += 1
        elif kind == "myst_role":
            doc.roles.append(Role(str(child.meta.get("name", "")), child.content, line))
        elif kind == "link_open":
            # myst-parser resolves the decoded text (markdown-it percent-encodes non-ASCII)
            href = md.normalizeLinkText(str(child.attrGet("href") or ""))
            doc.links.append(Link(href, line, child.info == "auto"))
        elif kind == "image":
            alt = "".join(c.content for c in child.children or [])
            doc.images.append(Image(str(child.attrGet("src") or ""), alt, line, "md"))
        elif kind == "html_inline":
            doc.html.append(Html(child.content, line))


def _fence(md: MarkdownIt, token: Token, line: int, doc: MystDoc, anchors: int, depth: int) -> None:
    info = token.info.strip()
    m = DIRECTIVE_INFO_RE.match(info)
    if not m:
        return  # a code block
    name, arg = m["name"], m["arg"]
    options, body, body_line = split_options(token.content, line + 1)
    directive = Directive(name, arg, line, options, body, body_line)
    doc.directives.append(directive)
    if "name" in options:
        doc.labels.append((options["name"][0].strip(), options["name"][1]))
    if name in ("image", "figure"):
        alt = options.get("alt", ("", 0))[0].strip()
        doc.images.append(Image(arg.strip(), alt, line, name))
    elif name == "glossary":
        doc.terms += glossary_terms(body, body_line)
    elif name == "raw" and arg.strip().lower() == "html":
        doc.html.append(Html(body, body_line))
    if (name not in LITERAL_DIRECTIVES or name in MARKDOWN_BODY) and depth < MAX_DEPTH:
        tokens = safe_parse(md, body, body_line - 1, doc)
        _walk(md, tokens, body_line - 1, doc, anchors, depth + 1)


def split_options(content: str, first_line: int) -> tuple[dict[str, tuple[str, int]], str, int]:
    """A directive's options (``:key: value`` lines or a ``---`` YAML block) and its body."""
    lines = content.split("\n")
    options: dict[str, tuple[str, int]] = {}
    index = 0
    if lines and lines[0].strip() == "---":
        close = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), None)
        if close is not None:
            for k in range(1, close):
                om = YAML_OPTION_RE.match(lines[k].strip())
                if om:
                    options[om["key"]] = (om["value"].strip().strip("\"'"), first_line + k)
            index = close + 1
    else:
        while index < len(lines):
            om = OPTION_RE.match(lines[index].strip()) if lines[index].startswith(":") else None
            if not om:
                break
            options[om["key"]] = ((om["value"] or "").strip(), first_line + index)
            index += 1
    return options, "\n".join(lines[index:]), first_line + index


def glossary_terms(body: str, first_line: int) -> list[tuple[str, int]]:
    """Terms of a ``{glossary}`` body: its non-indented lines (``term : classifier`` too)."""
    out = []
    for k, raw in enumerate(body.split("\n")):
        if raw.strip() and not raw[0].isspace() and not raw.startswith(":"):
            term = raw.split(" : ", 1)[0].strip()
            out.append((term, first_line + k))
    return out


def role_target(content: str) -> str:
    """The target of ``{role}`title <target>``` or ``{role}`target``` ."""
    m = re.match(r"^(?P<text>.*?)\s*<(?P<id>[^<>]+)>$", content, re.S)
    return (m["id"] if m else content).strip()


def notebook_cells(nb: dict[str, Any], text: str) -> Iterable[tuple[str, str, int]]:
    """(cell_type, source, line of the source's first line in the JSON) for each cell.

    nbformat writes a source as a list of lines, one per JSON line, so markdown line k of a
    cell is JSON line ``start + k``; a one-line JSON notebook gives every cell its line.
    """
    starts = [m.end() for m in re.finditer(r'"cell_type"\s*:', text)]
    cells = nb.get("cells")
    for i, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict):
            continue
        src = cell.get("source", "")
        src = "".join(map(str, src)) if isinstance(src, list) else str(src)
        line = 1
        if i < len(starts):
            # nbformat sorts keys: "source" follows "cell_type" inside the same cell
            m = SOURCE_RE.search(text, starts[i])
            if m and (i + 1 >= len(starts) or m.start() < starts[i + 1]):
                line = text.count("\n", 0, m.start()) + 1 + (1 if m["list"] and m["nl"] else 0)
            else:
                line = text.count("\n", 0, starts[i]) + 1
        yield str(cell.get("cell_type", "")), src, line
