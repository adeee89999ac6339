"""Raw HTML from notes and notebook outputs, cleaned by an allowlist (nh3, the Ammonia
sanitizer) and explained: every element, attribute or URL the allowlist drops is reported as
a problem with a fix, so a strict build fails and the author sees why.

Two nh3 passes run on each fragment: a permissive one that only normalises the markup the
way a browser parses it (html5ever) and records every element and attribute it sees — the
problems are read from that, so entity tricks (``jav&#x61;script:``) and comment tricks
(``<!--><img onerror=…>-->``) are reported as the browser would see them — and the strict
one whose output replaces the fragment.

These are plain functions (no Sphinx) so ``talkbook check`` can use them too.
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass, field

import nh3

# Elements a note may write: nh3's default text and table elements (no script, style, form,
# frame, object, embed, base, meta, link, svg, math, template, textarea, ...).
ALLOWED_TAGS: frozenset[str] = frozenset(nh3.ALLOWED_TAGS | {"tfoot", "section", "caption"})
# Attributes on every allowed element, then per element. No style (CSS can load other hosts'
# resources), no on* handlers, no target/name/srcdoc/formaction.
GLOBAL_ATTRIBUTES: frozenset[str] = frozenset(
    {"class", "id", "title", "lang", "dir", "role", "aria-label", "aria-hidden", "style"}
)
ELEMENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    tag: frozenset(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()
}
ELEMENT_ATTRIBUTES["a"] = ELEMENT_ATTRIBUTES["a"] | {"title"}
ELEMENT_ATTRIBUTES["img"] = ELEMENT_ATTRIBUTES["img"] | {"loading"}
ELEMENT_ATTRIBUTES["table"] = ELEMENT_ATTRIBUTES["table"] | {"border"}  # pandas' to_html
# style="" may set these properties only (none of them takes a url(); no position, so nothing
# can cover the page); pandas writes style="text-align: right;" on table rows
STYLE_PROPERTIES: frozenset[str] = frozenset(
    {
        "text-align",
        "vertical-align",
        "font-weight",
        "font-style",
        "color",
        "background-color",
        "white-space",
        "width",
        "min-width",
        "max-width",
        "text-decoration",
    }
)
_BAD_CSS_RE = re.compile(r"url\s*\(|expression\s*\(|image-set|@import|\\", re.I)
# URL schemes allowed in href/src/cite; relative URLs are allowed.
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "cite",
        "action",
        "formaction",
        "data",
        "poster",
        "background",
        "longdesc",
        "usemap",
        "xlink:href",
        "srcset",
    }
)
# dropped together with their content (never shown as text either)
CONTENT_TAGS = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "textarea",
        "title",
        "xmp",
        "noembed",
        "noframes",
        "iframe",
        "object",
        "svg",
        "math",
    }
)
_ANY_PREFIX = set(string.ascii_letters)
_TAG_RE = re.compile(r"<([a-zA-Z][^\s/>]*)")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_ANY_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f]+")
_SINGLE_START_RE = re.compile(r"^\s*<([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*>\s*$")
_SINGLE_END_RE = re.compile(r"^\s*</([a-zA-Z][a-zA-Z0-9-]*)\s*>\s*$")

FIX_TAG = "write it in Markdown, or remove it; allowed HTML is listed in CONTRIBUTING.md"


@dataclass
class Cleaned:
    """A sanitized fragment and what was dropped from it (one message per thing)."""

    html: str
    problems: list[str] = field(default_factory=list)


def url_scheme(value: str) -> str | None:
    """The scheme of a URL as a browser reads it (control characters and blanks removed,
    lower case), or None for a relative URL."""
    m = _SCHEME_RE.match(_CONTROL_RE.sub("", value))
    return m[1].lower() if m else None


def url_problem(value: str, *, attribute: str = "href", local_only: bool = False) -> str | None:
    """Why a URL may not appear in a page, or None when it may."""
    scheme = url_scheme(value)
    if scheme is not None and scheme not in URL_SCHEMES:
        return f"{scheme}: URL is not allowed (use an http(s) link or a file of the book)"
    stripped = _CONTROL_RE.sub("", value)
    if local_only and (scheme is not None or stripped.startswith(("//", "\\\\", "/\\", "\\/"))):
        return (
            f"{attribute}={value[:60]!r} loads a file from another site "
            "(copy the file into the book and use a relative path)"
        )
    return None


def _seen(fragment: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The fragment as a browser parses it (normalised markup, comments kept) and every
    (element, attribute, decoded value) in it."""
    names = {m.lower() for m in _TAG_RE.findall(fragment)}
    # nh3 drops a URL whose scheme is not listed before the filter sees it: list every word
    # that could be a scheme once entities are decoded, so the filter sees every URL
    decoded = _CONTROL_RE.sub("", html.unescape(fragment))
    schemes = {m.lower() for m in _ANY_SCHEME_RE.findall(decoded)}
    attrs: list[tuple[str, str, str]] = []

    def record(tag: str, attr: str, value: str) -> str:
        attrs.append((tag, attr, value))
        return value

    normalised = nh3.clean(
        fragment,
        tags=names | set(ALLOWED_TAGS),
        clean_content_tags=set(),
        attributes={},
        generic_attribute_prefixes=_ANY_PREFIX,
        strip_comments=False,
        link_rel=None,
        url_schemes=schemes,
        attribute_filter=record,
    )
    return normalised, attrs


def explain(fragment: str) -> list[str]:
    """What the allowlist drops from ``fragment``, one sentence with a fix each."""
    normalised, attrs = _seen(fragment)
    problems: list[str] = []
    tags = [t.lower() for t in _TAG_RE.findall(_COMMENT_RE.sub("", normalised))]
    for tag in dict.fromkeys(tags):
        if tag not in ALLOWED_TAGS:
            problems.append(f"raw HTML <{tag}> is not allowed ({FIX_TAG})")
    for tag, attr, value in attrs:
        if tag not in ALLOWED_TAGS:
            continue  # the element is reported (and dropped) already
        if attr.startswith("on"):
            problems.append(
                f"event handler attribute {attr}= in raw HTML is not allowed (remove it; "
                "pages run no scripts of their own)"
            )
        elif attr not in GLOBAL_ATTRIBUTES and attr not in ELEMENT_ATTRIBUTES.get(tag, ()):
            problems.append(
                f"attribute {attr}= on <{tag}> is not allowed in raw HTML (remove it; "
                "allowed attributes are listed in CONTRIBUTING.md)"
            )
        elif attr in URL_ATTRIBUTES:
            why = url_problem(value, attribute=attr, local_only=attr == "src")
            if why:
                problems.append(why)
        elif attr == "style":
            problems += style_problems(value, tag)
    return list(dict.fromkeys(problems))


def style_problems(value: str, tag: str = "") -> list[str]:
    """Why parts of a ``style`` attribute are dropped (the rest is kept)."""
    where = f" on <{tag}>" if tag else ""
    if _BAD_CSS_RE.search(value):
        return [
            f"style={value[:60]!r}{where} loads or escapes something (no url(), @import or "
            "backslashes in style; the attribute is removed)"
        ]
    out = []
    for decl in value.split(";"):
        name = decl.split(":", 1)[0].strip().lower()
        if name and name not in STYLE_PROPERTIES:
            out.append(
                f"style property {name}:{where} is not allowed (allowed: "
                f"{', '.join(sorted(STYLE_PROPERTIES))})"
            )
    return out


def _keep_url(tag: str, attr: str, value: str) -> str | None:
    if attr == "style" and _BAD_CSS_RE.search(value):
        return None
    if attr in URL_ATTRIBUTES and url_problem(value, attribute=attr, local_only=attr == "src"):
        return None
    return value


def clean(fragment: str, *, drop: frozenset[str] = CONTENT_TAGS) -> str:
    """``fragment`` with everything outside the allowlist removed (the strict pass)."""
    attributes = {
        tag: set(ELEMENT_ATTRIBUTES.get(tag, frozenset())) | GLOBAL_ATTRIBUTES
        for tag in ALLOWED_TAGS
    }
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(drop),
        attributes=attributes,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=_keep_url,
        filter_style_properties=set(STYLE_PROPERTIES),
    )


def sanitize(fragment: str) -> Cleaned:
    """Clean one raw HTML fragment and say what was dropped.

    Markdown splits inline HTML into one fragment per tag (``<a href=…>``, text, ``</a>``):
    a lone start tag is cleaned as such (the end tag the parser would add is removed again)
    and a lone end tag of an allowed element is kept as it is, so links written in HTML
    inside a paragraph keep working.
    """
    problems = explain(fragment)
    end = _SINGLE_END_RE.match(fragment)
    if end:
        name = end[1].lower()
        return Cleaned(f"</{name}>" if name in ALLOWED_TAGS else "", problems)
    start = _SINGLE_START_RE.match(fragment)
    out = clean(fragment)
    if start:
        closing = f"</{start[1].lower()}>"
        if out.endswith(closing):
            out = out[: -len(closing)]
    return Cleaned(out, problems)


# ---------------------------------------------------------------------------- <meta>

ALLOWED_META_ATTRIBUTES = frozenset({"name", "content", "lang"})
ALLOWED_META_NAMES = frozenset({"description", "keywords", "author"})


def meta_problem(attributes: dict[str, str]) -> str | None:
    """Why a ``<meta>`` tag from front matter (``myst: html_meta``) or a ``meta`` directive
    may not appear in a page (refresh/redirects, CSP or charset changes), or None."""
    extra = sorted(set(attributes) - ALLOWED_META_ATTRIBUTES)
    if extra:
        return (
            f"<meta {extra[0]}=…> is not allowed (remove it from `myst: html_meta`; only "
            f"{', '.join(sorted(ALLOWED_META_NAMES))} may be set)"
        )
    name = str(attributes.get("name", "")).lower()
    if name not in ALLOWED_META_NAMES:
        return (
            f"<meta name={name!r}> is not allowed (only {', '.join(sorted(ALLOWED_META_NAMES))}; "
            "the description comes from front matter `talkbook.description`)"
        )
    return None
