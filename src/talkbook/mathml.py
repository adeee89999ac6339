"""Sphinx extension ``talkbook.mathml``: math written as MathML when the book is built.

Registered as an HTML math renderer (``app.add_html_math_renderer``), which Sphinx then
prefers to its default MathJax: no script from a CDN, nothing to load on pages without
math, and formulas that read the same offline. Browsers draw MathML natively.
TeX that ``latex2mathml`` cannot read is reported at its line and shown as code.
"""

from __future__ import annotations

import html
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from . import __version__

logger = logging.getLogger(__name__)

RENDERER = "talkbook_mathml"


def to_mathml(latex: str, display: str, node: nodes.Element) -> str:
    """MathML for the TeX, or the TeX as code with a warning at the node's line."""
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display=display)
    except Exception as err:  # the converter raises many kinds; all mean "cannot read this"
        logger.warning(
            f"math the build cannot render ({type(err).__name__}: {err}): {latex.strip()[:80]!r}"
            " (simplify the formula or write it as code)",
            location=node,
            type="talkbook",
            subtype="math",
        )
        return f'<code class="talkbook-math-error">{html.escape(latex)}</code>'


def visit_math(self: Any, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate"))
    self.body.append(to_mathml(node.astext(), "inline", node))
    self.body.append("</span>")
    raise nodes.SkipNode


def visit_displaymath(self: Any, node: nodes.Element) -> None:
    latex = node["latex"] if node.get("nowrap") else node.astext()
    parts = [p for p in latex.split("\n\n") if p.strip()]
    if len(parts) > 1:  # like Sphinx's MathJax renderer: several equations, aligned
        latex = "\\begin{aligned}" + "\\\\".join(parts) + "\\end{aligned}"
    self.body.append(self.starttag(node, "div", CLASS="math notranslate"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    self.body.append(to_mathml(latex, "block", node))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer(RENDERER, (visit_math, None), (visit_displaymath, None))
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
